"""Typed errors of the exchange: the message names file, line, column and code, and they are
RecouvraErrors the command line reports alike."""

from __future__ import annotations

import pytest

from recouvra.errors import RecouvraError
from recouvra.exchange.errors import (
    CsvSyntaxError,
    ExchangeContextError,
    ExchangeFileError,
    ReturnFileError,
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"file": "a.csv"}, "a.csv: no data row"),
        ({"file": "a.csv", "code": "F006"}, "a.csv: F006 no data row"),
        ({"file": "a.csv", "line": 4}, "a.csv, line 4: no data row"),
        ({"file": "a.csv", "line": 4, "field": "amount", "code": "E005"},
         "a.csv, line 4, column amount: E005 no data row"),
        ({"file": "a.csv", "field": "amount"}, "a.csv, column amount: no data row"),
        ({"file": "a.csv", "line": 0}, "a.csv, line 0: no data row"),
    ],
)
def test_message_names_where_and_why(kwargs: dict[str, object], message: str) -> None:
    error = ExchangeFileError("no data row", **kwargs)  # type: ignore[arg-type]
    assert str(error) == message
    assert error.detail == "no data row"
    assert (error.file, error.code, error.line, error.field) == (
        kwargs["file"], kwargs.get("code"), kwargs.get("line"), kwargs.get("field"))


@pytest.mark.parametrize("cls", [ReturnFileError, CsvSyntaxError, ExchangeContextError])
def test_every_exchange_error_is_a_recouvra_error_with_the_same_fields(cls: type[ExchangeFileError]) -> None:
    error = cls("unterminated quote", file="AG01_PAYMENTS_20261125_01.csv", code="F008", line=7)
    assert isinstance(error, ExchangeFileError) and isinstance(error, RecouvraError)
    assert str(error) == "AG01_PAYMENTS_20261125_01.csv, line 7: F008 unterminated quote"
    with pytest.raises(ExchangeFileError):
        raise error
