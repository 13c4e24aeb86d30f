"""OpType, the schema's OpCode enum and csrc/ember_schema.h's EMBER_OP_* list the same ops, and
every op has shape inference, a params class that mirrors its schema table, and a reference."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from emberlite.converter import reference
from emberlite.converter.ops import OPS, OpType
from emberlite.schema.OpCode import OpCode

ROOT = Path(__file__).resolve().parents[2]


def schema_opcodes() -> dict[str, int]:
    return {k: v for k, v in vars(OpCode).items() if not k.startswith("_")}


def c_opcodes() -> dict[str, int]:
    text = (ROOT / "csrc" / "ember_schema.h").read_text()
    found = dict(re.findall(r"#define EMBER_OP_([A-Z0-9_]+) (\d+)", text))
    found.pop("COUNT")
    return {k: int(v) for k, v in found.items() if not k.startswith("PARAMS_")}


def test_optype_matches_schema_and_c_header():
    ours = {op.name: op.value for op in OpType}
    assert ours == schema_opcodes()
    assert ours == c_opcodes()
    count = re.search(r"#define EMBER_OP_COUNT (\d+)",
                      (ROOT / "csrc" / "ember_schema.h").read_text())
    # one past the largest code: the codes may leave gaps (ones assigned to ops still to land)
    assert count and int(count.group(1)) == max(OpType) + 1


def test_every_op_has_shape_inference_and_reference():
    assert set(OPS) == set(OpType)
    assert set(reference.REFERENCE_OPS) == set(OpType)


@pytest.mark.parametrize("op", [op for op in OpType if OPS[op].params_cls is not None],
                         ids=lambda op: op.name)
def test_params_mirror_schema_table(op):
    """Field names and order equal the flatc object-API class of the same name."""
    cls = OPS[op].params_cls
    module = __import__(f"emberlite.schema.{cls.__name__}", fromlist=[cls.__name__])
    schema_fields = [k for k in vars(getattr(module, cls.__name__ + "T")())]
    ours = [f.name for f in dataclasses.fields(cls)]
    to_snake = [re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in schema_fields]
    assert ours == to_snake
