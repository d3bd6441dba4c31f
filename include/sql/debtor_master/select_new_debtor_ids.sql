-- Draw fresh debtor ids from core.debtor_id_seq (param: how many).
SELECT nextval('core.debtor_id_seq') FROM generate_series(1, ?)
