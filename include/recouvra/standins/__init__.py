"""Stand-ins for the outside world, for the embedded default (`make demo`) and the tests.

* :mod:`~recouvra.standins.generator`: the synthetic fund database (`recouvra seed`), with its truth of
  duplicates kept outside the source;
* :mod:`~recouvra.standins.simulator`: simulated recovery agencies (`recouvra simulate-agencies`);
* :mod:`~recouvra.standins.sftp_server`: the embedded SFTP server, one chrooted account per agency, and
  :mod:`~recouvra.standins.sftp_cli` its command (`recouvra sftp serve|stop|env|known-hosts`);
* :mod:`~recouvra.standins.return_samples`: sample return files of every type, for agencies and tests.

Installed with the package (the embedded default needs them), but no production module imports them:
an import-linter contract of `pyproject.toml` says so. Only the command line wires them in.
"""
