"""The exchange contract with the agencies (agency-exchange/1), used by both directions.

Kernel: the fund's files to the agencies (publication) and the agencies' files to the fund (returns,
ingestion, the simulated agencies) read and write them through these modules, so each rule is written
once:

* :mod:`~recouvra.exchange.names`: the agency home's folders and every file name of the contract both
  ways (the fund's ``CNSS_*`` files and manifests, return files and their ``.sha256`` sidecars,
  ``.ack.json`` and ``.rejects.csv``), built and parsed;
* :mod:`~recouvra.exchange.spec`: the contract's version, the columns of the fund's files and of return
  files, codes, statuses, limits (file size, cell length), timestamps and the fund's time zone;
* :mod:`~recouvra.exchange.values`: the formats of phones (a valid Moroccan number, in E.164) and
  e-mails, checked one way by the judge of return files and the debtor master's normalisers;
* :mod:`~recouvra.exchange.csvparse`: CSV cells as the contract writes and reads them (UTF-8, the
  formula guard, quoting) with line-and-field errors;
* :mod:`~recouvra.exchange.manifest`: the typed package manifest, rendered by the fund, parsed and
  verified against its files by the fund before an upload and by an agency on receipt;
* :mod:`~recouvra.exchange.ack`: the typed acknowledgement (``ack.json``) and the rejects file
  (``rejects.csv``), rendered by the fund (first processing and replay alike) and parsed by an agency;
* :mod:`~recouvra.exchange.errors`: the typed errors naming file, line, field and code.
"""
