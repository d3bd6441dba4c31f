-- Store a trained model (params: trained_on, prior, prior_among_candidates, records_count,
-- candidate_pairs, random_pairs, iterations, trained_at, namesakes_mail_share).
INSERT INTO core.match_model (trained_on, prior, prior_among_candidates, records_count, candidate_pairs,
                              random_pairs, iterations, trained_at, namesakes_mail_share)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
