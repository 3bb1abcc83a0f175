"""CloudFormation's intrinsic functions, resolved as CloudFormation would, for the local runtime.

The local runtime creates each resource itself (moto's CloudFormation skips some resource types and
wants the Lambda code assets uploaded), so it also plays CloudFormation's part of resolving `Ref`,
`Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select` and `Fn::Split` from what it has already created,
and of ordering creation by the references (`dependencies`). Kept apart from cloud.py and free of AWS
calls so its rules have their own unit tests (tests/unit/test_local_resolver.py), and so the state
machine golden can render the definition with placeholders instead of ARNs (tests/golden).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# `${Name}`, `${Resource.Attribute}` and `${!Literal}` inside an Fn::Sub string.
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def pseudo_parameters(account: str, region: str, stack: str) -> dict[str, str | None]:
    """What `Ref` gives for CloudFormation's pseudo parameters in one account, region and stack."""
    return {
        "AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": stack, "AWS::NoValue": None,
    }


class UnresolvedReference(LookupError):
    """Raised when a `Ref`, `Fn::GetAtt` or `${...}` names a resource, attribute or pseudo parameter the
    resolver does not know: the resource was not created yet (a missed dependency) or the template names
    something the local runtime does not record (an attribute its creator does not set)."""


class UnsupportedIntrinsic(ValueError):
    """Raised when a template uses an intrinsic function this resolver does not implement (`Fn::If`,
    `Fn::ImportValue`, ...), rather than passing the function through as if it were a property value."""


@dataclass
class Intrinsics:
    """Resolves template values against the resources created so far.

    `physical` is what `Ref` gives for a logical id (a bucket's name, a queue's URL), `attributes` what
    `Fn::GetAtt` gives (`Arn`, `QueueUrl`, ...). Both are read at resolve time, so the creator can share
    its dictionaries and fill them as it goes.
    """

    physical: Mapping[str, Any]
    attributes: Mapping[str, Mapping[str, Any]]
    pseudo: Mapping[str, Any] = field(default_factory=lambda: pseudo_parameters("123456789012", "us-east-1", "Stack"))

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function in it replaced by its result."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (name, arg), = value.items()
            if name == "Ref":
                return self.ref(arg)
            if name.startswith("Fn::"):
                return self._function(name, arg)
        return {k: self.resolve(v) for k, v in value.items()}

    def ref(self, name: str) -> Any:
        """`Ref`: a pseudo parameter's value, or the resource's physical id."""
        if name in self.pseudo:
            return self.pseudo[name]
        if name not in self.physical:
            raise UnresolvedReference(f"Ref {name}: no such resource has been created")
        return self.physical[name]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """`Fn::GetAtt`: one attribute of a created resource."""
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise UnresolvedReference(f"Fn::GetAtt {logical_id}.{attribute}: not recorded for that resource") from None

    def _function(self, name: str, arg: Any) -> Any:
        if name == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.get_att(logical_id, attribute)
        if name == "Fn::Join":
            delimiter, items = arg
            return delimiter.join(str(v) for v in self.resolve(items) if v is not None)
        if name == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
            return self._sub(text, variables)
        if name == "Fn::Select":
            index, items = self.resolve(arg)
            return items[int(index)]
        if name == "Fn::Split":
            delimiter, text = arg
            return str(self.resolve(text)).split(delimiter)
        raise UnsupportedIntrinsic(f"{name} is not supported by the local runtime's resolver")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is written out as ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if name in self.pseudo:
                return str(self.pseudo[name])
            if "." in name:
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)


def sub_names(text: str) -> list[str]:
    """The variables an Fn::Sub string names, without its `${!Literal}` escapes."""
    return [name for name in _SUB_VARIABLE.findall(text) if not name.startswith("!")]


def dependencies(resource: Mapping[str, Any]) -> set[str]:
    """Logical ids `resource` needs created first: its DependsOn and every resource its properties reference.
    Pseudo parameters and an Fn::Sub's own variables are not resources."""
    depends_on = resource.get("DependsOn") or []
    found: set[str] = set([depends_on] if isinstance(depends_on, str) else depends_on)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, arg in value.items():
                if key == "Ref" and isinstance(arg, str):
                    if not arg.startswith("AWS::"):
                        found.add(arg)
                elif key == "Fn::GetAtt":
                    found.add(arg[0] if isinstance(arg, list) else arg.split(".")[0])
                elif key == "Fn::Sub":
                    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                    found.update(n.split(".")[0] for n in sub_names(text)
                                 if n not in variables and not n.startswith("AWS::"))
                    walk(variables)
                else:
                    walk(arg)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resource.get("Properties", {}))
    return found
