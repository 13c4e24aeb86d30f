"""ONNX ops that the ONNX standard defines as functions of other ops (LinearAttention,
MeanVarianceNormalization, SwiGLU, RotaryEmbedding, ...) and that the op table has no entry
for: the node is replaced by its function body for the model's opset (built for the node's
attributes and input types where the body depends on them), and the body is inlined like a
subgraph (onnx_control_flow.inline), each of its nodes converted like the graph's own.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from .graph_builder import Invalid, Unsupported
from .onnx_control_flow import Scope, bind, inline


def _schema(op_type: str, opset: int) -> onnx.defs.OpSchema | None:
    try:
        return onnx.defs.get_schema(op_type, opset, "")
    except onnx.defs.SchemaError:
        return None


def has_function(op_type: str, opset: int) -> bool:
    """Whether ONNX defines `op_type` at `opset` as a function of other ops."""
    schema = _schema(op_type, opset)
    return schema is not None and bool(
        [v for v in schema.function_opset_versions if v <= opset]
        or [v for v in schema.context_dependent_function_opset_versions if v <= opset])


def _input_type(scope: Scope, name: str) -> onnx.TypeProto:
    if not name:
        return onnx.TypeProto()
    if name in scope.consts:
        value = scope.consts[name]
        elem = helper.np_dtype_to_tensor_dtype(value.dtype)
        return helper.make_tensor_type_proto(elem, list(value.shape))
    tensor = scope.env[name]
    elem = helper.np_dtype_to_tensor_dtype(scope.b.dtype(tensor).numpy)
    return helper.make_tensor_type_proto(elem, list(scope.b.shape(tensor)))


def _body(node: onnx.NodeProto, opset: int, types: list[onnx.TypeProto]) -> onnx.FunctionProto:
    schema = _schema(node.op_type, opset)
    assert schema is not None  # has_function said so
    plain = [v for v in schema.function_opset_versions if v <= opset]
    dependent = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
    body = onnx.FunctionProto()
    try:
        if plain:
            body.ParseFromString(schema.get_function_with_opset_version(max(plain)))
        else:
            body.ParseFromString(schema.get_context_dependent_function_with_opset_version(
                max(dependent), node.SerializeToString(),
                [t.SerializeToString() for t in types]))
    except Exception as e:  # the C++ builders raise several types; none is a bug of ours
        raise Unsupported(f"ONNX could not build its function body for these inputs and "
                          f"attributes ({type(e).__name__}: {str(e).splitlines()[0]})") \
            from None
    if not body.node:
        raise Unsupported("ONNX gives no function body for these inputs and attributes")
    return body


def _with_attributes(inner: onnx.NodeProto, given: dict[str, onnx.AttributeProto]
                     ) -> onnx.NodeProto:
    """`inner` with each attribute that refers to one of the op's (ref_attr_name) replaced by
    the op's value, or dropped when the op has none."""
    node = onnx.NodeProto()
    node.CopyFrom(inner)
    del node.attribute[:]
    for attr in inner.attribute:
        if attr.ref_attr_name:
            if attr.ref_attr_name in given:
                value = onnx.AttributeProto()
                value.CopyFrom(given[attr.ref_attr_name])
                value.name = attr.name
                node.attribute.append(value)
        else:
            node.attribute.append(attr)
    return node


def convert_function(scope: Scope, node: onnx.NodeProto, label: str, opset: int) -> None:
    """Inlines the function body of `node` (has_function) into the conversion `scope`."""
    schema = _schema(node.op_type, opset)
    unknown = [a.name for a in node.attribute if a.name not in schema.attributes]
    if unknown:
        raise Invalid(f"attribute {unknown[0]!r} is not an attribute of {node.op_type}")
    body = _body(node, opset, [_input_type(scope, name) for name in node.input])
    if len(node.input) > len(body.input) or len(node.output) > len(body.output):
        raise Invalid(f"{len(node.input)} inputs and {len(node.output)} outputs given; "
                      f"{node.op_type} takes {len(body.input)} and gives {len(body.output)}")
    given = {a.name: a for a in node.attribute}
    for name, attr in schema.attributes.items():
        if name not in given and attr.default_value.type:
            given[name] = attr.default_value
    graph = helper.make_graph(
        [_with_attributes(n, given) for n in body.node], f"{node.op_type} function",
        [helper.make_empty_tensor_value_info(i) for i in body.input],
        [helper.make_empty_tensor_value_info(o) for o in body.output])
    inputs: list[str | np.ndarray] = list(node.input)[:len(body.input)]
    inputs += [""] * (len(body.input) - len(inputs))
    del graph.output[len(node.output):]  # outputs the node does not name
    for out, value in zip(node.output, inline(scope, graph, label, inputs)):
        if out:
            bind(scope, out, value)
