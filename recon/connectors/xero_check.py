"""Can the ``xero-python`` SDK read this record? Answered without building the SDK's models.

The Xero connector maps every page from its raw JSON, and only asks the SDK's deserialiser whether it could
have read each record, so that a record it cannot (an unknown enum value, a bad date) is named in a warning
instead of losing its page. Building the SDK's model objects for that answer costs more than the rest of the
fetch's work together, so :class:`SdkReadCheck` compiles, once per model, the same walk the SDK makes:

* the SDK's own deserialiser functions for every primitive type (``str``, ``int``, ``float`` as ``Decimal``,
  ``bool``, the date and ``/Date(...)/`` formats), looked up in its dispatch registry;
* ``list[...]``, nested models and enums exactly as ``deserialize_list`` / ``deserialize_model`` walk them;
* each model's own property setters where they validate (allowed values, required values: the generated
  setters that can raise ``ValueError``), called on one scratch instance per model instead of a new object
  per record; text fields whose setter only stores the value cannot fail and are not visited.

A model whose constructor needs arguments (none of those recon reads) is checked by the SDK's
``deserialize_model`` itself. ``tests/test_connectors_xero_check.py`` holds the check to the SDK's verdict on
good and broken records of every kind recon reads.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Callable

from xero_python.accounting import models as xm
from xero_python.api_client import ModelFinder
from xero_python.api_client import deserializer as sdk

Check = Callable[[Any], Any]
_UNREGISTERED = "recon: no such type"


class SdkReadCheck:
    """``check(type_name, data)`` raises what the SDK's ``deserialize(type_name, data, ...)`` would raise
    (``ValueError``, ``TypeError``, ...) and returns quietly where it would succeed."""

    def __init__(self, models: Any = xm) -> None:
        self.finder = ModelFinder(models)
        self._checks: dict[str, Check] = {}
        self._default = sdk.deserialize.dispatch(_UNREGISTERED)

    def check(self, type_name: str, data: Any) -> None:
        self.compile(type_name)(data)

    def compile(self, type_name: str) -> Check:
        """The check of one SDK type name (``"Contacts"``, ``"list[LineItem]"``, ``"date[ms-format]"``)."""
        found = self._checks.get(type_name)
        if found is None:
            found = self._checks[type_name] = self._build(type_name)
        return found

    def _build(self, type_name: str) -> Check:
        listed = sdk.LIST_DATA_TYPE.match(type_name)
        if listed:
            return _ListCheck(self, listed.group(1))
        impl = sdk.deserialize.dispatch(type_name)
        if impl is sdk.deserialize_str:
            return str  # all that function does
        if impl is not self._default:  # a primitive: the SDK's own function, minus its dispatch
            finder = self.finder
            return lambda data: impl(type_name, data, finder)
        try:
            model = self.finder.find_model(type_name)
        except AttributeError:
            raise ValueError(f"Can't deserialize data_type={type_name!r}") from None
        if isinstance(model, type) and issubclass(model, Enum):
            return lambda data: model("" if data is None else data)  # the SDK: None -> model("")
        return _ModelCheck(self, model)


class _ListCheck:
    def __init__(self, owner: SdkReadCheck, item_type: str) -> None:
        self.item = owner.compile(item_type)  # a model's own fields compile at its first use: no recursion here

    def __call__(self, data: Any) -> list[Any]:
        item = self.item
        return [item(x) for x in data]


class _ModelCheck:
    """The walk of ``deserialize_model``: each present attribute deserialised, then set through the model's
    own setter (which validates allowed values) on a scratch instance."""

    def __init__(self, owner: SdkReadCheck, model: type) -> None:
        self.owner, self.model = owner, model
        self.fields: list[tuple[str, Check, Callable[[Any, Any], None] | None]] | None = None
        try:
            self.scratch: Any = model()
        except (TypeError, ValueError):
            self.scratch = None  # required arguments: leave this model to the SDK itself

    def _compile(self) -> list[tuple[str, Check, Callable[[Any, Any], None] | None]]:
        fields = []
        for attr, attr_type in self.model.openapi_types.items():  # type: ignore[attr-defined]
            setter = getattr(self.model, attr).fset
            check = self.owner.compile(attr_type)
            validates = "ValueError" in setter.__code__.co_names  # the generated setters that can refuse
            if check is str and not validates:
                continue  # str() of any JSON value succeeds and the setter only stores it: nothing can fail
            fields.append((self.model.attribute_map[attr], check, setter if validates else None))  # type: ignore[attr-defined]
        return fields

    def __call__(self, data: Any) -> Any:
        if self.scratch is None or type(data) is not dict:
            # None, a list or a scalar where an object belongs: rare, and the SDK's own answer is exact
            return sdk.deserialize_model(self.model, data, self.owner.finder)
        fields = self.fields
        if fields is None:
            fields = self.fields = self._compile()
        scratch = self.scratch
        for key, check, setter in fields:
            if key in data:
                value = check(data[key])
                if setter is not None and value is not None:
                    setter(scratch, value)
        return scratch
