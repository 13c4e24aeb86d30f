"""converter/writer.py: deterministic bytes, aligned buffers, a content hash that checks out,
and a file that flatc's own Python reader (and the C runtime) read back as written."""
from __future__ import annotations

import dataclasses
import enum
import hashlib

import numpy as np
import pytest

from emberlite.converter import reference
from emberlite.converter.errors import EmberError
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import OPS, FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import FORMAT_VERSION, MIN_RUNTIME_VERSION, serialize
from emberlite.schema.Model import Model
from emberlite.schema.OpParams import OpParams
from emberlite.schema.Subgraph import SubgraphT

HASH_VTABLE_OFFSET = 20  # Model.content_hash: slot 8


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _graph(seed: int = 0) -> Graph:
    """conv2d -> add(const) -> reshape -> fully_connected, with a shared constant, an omitted
    bias and a quantized-parameter tensor, so every writer path is taken."""
    rng = np.random.default_rng(seed)

    def const(name: str, *shape: int) -> Tensor:
        data = constant_array(rng.standard_normal(shape).astype(np.float32))
        return Tensor(name, DType.FLOAT32, shape, data)

    shift = const("shift", 4)
    twin = Tensor("shift_twin", DType.FLOAT32, (4,), shift.data)  # same bytes: one buffer
    tensors = [
        Tensor("x", DType.FLOAT32, (1, 5, 5, 3), quant=QuantParams((0.5,), (3,), 0)),
        const("w", 4, 3, 3, 3), Tensor("c", DType.FLOAT32, (1, 5, 5, 4)), shift, twin,
        Tensor("s", DType.FLOAT32, (1, 5, 5, 4)), Tensor("s2", DType.FLOAT32, (1, 5, 5, 4)),
        Tensor("flat", DType.FLOAT32, (1, 100)), const("fc_w", 6, 100),
        Tensor("y", DType.FLOAT32, (1, 6)),
    ]
    nodes = [
        Node(OpType.CONV2D, "conv", ["x", "w", ""], ["c"],
             Conv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1,
                          activation=FusedActivation.RELU)),
        Node(OpType.ADD, "add", ["c", "shift"], ["s"], BinaryParams()),
        Node(OpType.SUB, "sub", ["s", "shift_twin"], ["s2"], BinaryParams()),
        Node(OpType.RESHAPE, "flatten", ["s2"], ["flat"], ReshapeParams()),
        Node(OpType.FULLY_CONNECTED, "fc", ["flat", "fc_w"], ["y"], FullyConnectedParams()),
    ]
    return Graph({t.name: t for t in tensors}, nodes, ["x"], ["y"],
                 metadata={"zeta": "last", "author": "test"})


def _write(graph: Graph, **kwargs) -> bytes:
    return serialize(graph, plan_memory(graph), **kwargs)


def _model(data: bytes) -> Model:
    assert Model.ModelBufferHasIdentifier(data, 0)
    return Model.GetRootAs(data, 0)


def test_output_is_deterministic() -> None:
    first = _write(_graph())
    assert _write(_graph()) == first
    assert _write(_graph().copy()) == first
    assert _write(_graph(seed=1)) != first


def test_buffers_are_aligned_and_hold_the_constants() -> None:
    graph = _graph()
    data = _write(graph)
    model = _model(data)
    sg = model.Subgraphs(0)
    assert model.BuffersLength() == 3  # w, shift (shared with shift_twin), fc_w
    for i in range(model.BuffersLength()):
        buf = model.Buffers(i)
        assert buf.Offset() % 64 == 0
        assert buf.Offset() + buf.Size() <= len(data)
    seen_buffers = {}
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        name = t.Name().decode()
        src = graph.tensors[name]
        if src.is_constant:
            buf = model.Buffers(t.Buffer())
            stored = data[buf.Offset():buf.Offset() + buf.Size()]
            assert stored == src.data.astype("<f4").tobytes()
            assert t.ArenaOffset() == -1
            seen_buffers[name] = t.Buffer()
        else:
            assert t.Buffer() == -1 and t.ArenaOffset() >= 0
    assert seen_buffers["shift"] == seen_buffers["shift_twin"]


def test_content_hash_covers_the_file() -> None:
    data = bytearray(_write(_graph()))
    model = _model(bytes(data))
    pos = model._tab.Pos + model._tab.Offset(HASH_VTABLE_OFFSET)
    stored = bytes(data[pos:pos + 32])
    assert stored == bytes(model.ContentHash().Bytes())
    data[pos:pos + 32] = bytes(32)
    assert hashlib.sha256(data).digest() == stored


def test_reader_sees_what_was_written() -> None:
    graph = _graph()
    data = _write(graph, producer="unit test", metadata={"extra": "1", "author": "override"})
    model = _model(data)
    assert model.FormatVersion() == FORMAT_VERSION
    # Format 10 needs runtime 0.9.0: older runtimes say so instead of misreading it.
    assert model.MinRuntimeVersion() == MIN_RUNTIME_VERSION == 900
    assert model.BodySize() == len(data) and model.ModelVersion() == 0
    assert model.Producer() == b"unit test"
    meta = [(model.Metadata(i).Key().decode(), model.Metadata(i).Value().decode())
            for i in range(model.MetadataLength())]
    assert meta == [("author", "override"), ("extra", "1"), ("zeta", "last")]

    sg = model.Subgraphs(0)
    names = [sg.Tensors(i).Name().decode() for i in range(sg.TensorsLength())]
    # Order of first appearance: graph inputs, then each node's inputs and outputs.
    assert names == ["x", "w", "c", "shift", "s", "shift_twin", "s2", "flat", "fc_w", "y"]
    for i, name in enumerate(names):
        t = sg.Tensors(i)
        assert tuple(t.ShapeAsNumpy()) == graph.tensors[name].shape
        assert t.Type() == int(graph.tensors[name].dtype)
    q = sg.Tensors(0).Quant()
    assert list(q.ScaleAsNumpy()) == [0.5] and list(q.ZeroPointAsNumpy()) == [3]

    assert [sg.Operators(i).Opcode() for i in range(sg.OperatorsLength())] == \
        [int(n.op) for n in graph.nodes]
    conv = sg.Operators(0)
    assert list(conv.InputsAsNumpy()) == [0, 1, -1]  # omitted bias
    assert conv.ParamsType() == OpParams.Conv2DParams
    sig = model.Signatures(0)
    assert sig.Key() == b"serving_default"
    assert sig.Inputs(0).Name() == b"x" and sig.Inputs(0).Tensor() == 0
    assert sig.Outputs(0).Name() == b"y" and sig.Outputs(0).Tensor() == names.index("y")

    plan = plan_memory(graph)
    assert model.ArenaSize() == plan.arena_size
    # (flatc's ModelT cannot unpack the Sha256 struct array, so unpack below the root.)
    for t in SubgraphT.InitFromObj(sg).tensors:
        if t.buffer < 0:
            assert t.arenaOffset == plan.offsets[t.name.decode()]


def _non_default(params_cls: type) -> object:
    """An instance whose every field differs from its default, so a dropped field shows."""
    values = {}
    for f in dataclasses.fields(params_cls):
        default = f.default
        if isinstance(default, enum.Enum):
            values[f.name] = list(type(default))[-1]
        elif isinstance(default, bool):
            values[f.name] = not default
        elif isinstance(default, int):
            values[f.name] = default + 3
        elif isinstance(default, float):
            values[f.name] = default + 0.25
        elif isinstance(default, tuple):
            values[f.name] = (2, 0, 1)
        else:
            raise AssertionError(f"{params_cls.__name__}.{f.name}: unexpected field type")
    return params_cls(**values)


@pytest.mark.parametrize("op", [op for op in OpType if OPS[op].params_cls is not None],
                         ids=lambda op: op.name.lower())
def test_every_params_table_round_trips(op: OpType) -> None:
    params = _non_default(OPS[op].params_cls)
    tensors = {n: Tensor(n, DType.FLOAT32, (2, 3)) for n in "ab"}
    graph = Graph(tensors, [Node(op, "n", ["a"], ["b"], params)], ["a"], ["b"])
    stored = SubgraphT.InitFromObj(_model(_write(graph)).Subgraphs(0)).operators[0]
    assert stored.paramsType == getattr(OpParams, type(params).__name__)
    for f in dataclasses.fields(params):
        got = getattr(stored.params, _camel(f.name))
        want = getattr(params, f.name)
        if isinstance(want, tuple):
            assert list(got) == list(want), f.name
        elif isinstance(want, float):
            assert got == pytest.approx(want), f.name
        else:
            assert got == want, f.name


def test_bad_inputs_raise() -> None:
    graph = _graph()
    graph.tensors["w"] = dataclasses.replace(graph.tensors["w"],
                                             data=constant_array(np.zeros((4, 3, 3, 3))))
    with pytest.raises(EmberError, match="float64"):
        _write(graph)

    @dataclasses.dataclass(frozen=True)
    class NoSuchParams:
        pass

    graph = _graph()
    graph.nodes[1].params = NoSuchParams()
    with pytest.raises(EmberError, match="NoSuchParams"):
        _write(graph)


def test_runtime_runs_the_file() -> None:
    """The C runtime accepts the file and computes what the numpy reference computes."""
    import emberlite

    graph = _graph()
    data = _write(graph)
    emberlite.verify_model(data)
    interp = emberlite.Interpreter(model_content=data)
    interp.allocate_tensors()
    x = np.random.default_rng(5).standard_normal((1, 5, 5, 3)).astype(np.float32)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    want = reference.evaluate(graph, {"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert interp.get_metadata()["author"] == "test"


def test_model_version_is_stored_and_checked() -> None:
    assert _model(_write(_graph(), model_version=2**64 - 1)).ModelVersion() == 2**64 - 1
    for bad in (-1, 2**64, 1.0, True):
        with pytest.raises(EmberError, match="model_version must be an int"):
            _write(_graph(), model_version=bad)


def test_a_node_past_the_runtimes_input_limit_is_refused_by_name() -> None:
    """The runtime takes at most 64 inputs per node (EMBER_MAX_IO): the writer refuses more
    instead of writing a file every runtime would refuse."""
    tensors = {f"x{i}": Tensor(f"x{i}", DType.FLOAT32, (1, 2)) for i in range(65)}
    tensors["y"] = Tensor("y", DType.FLOAT32, (65, 2))
    node = Node(OpType.CONCATENATION, "wide", list(tensors)[:65], ["y"],
                ConcatenationParams(axis=0))
    graph = Graph(tensors, [node], list(tensors)[:65], ["y"])
    with pytest.raises(EmberError, match="node 'wide' .concatenation. has 65 inputs and 1 "
                                         "outputs; a node takes at most 64"):
        _write(graph)
    node.inputs, graph.inputs = node.inputs[:64], graph.inputs[:64]
    tensors["y"] = Tensor("y", DType.FLOAT32, (64, 2))
    del tensors["x64"]
    assert _model(_write(graph)).Subgraphs(0).Operators(0).InputsLength() == 64
