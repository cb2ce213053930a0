"""Writes an IsNaN model with metadata_props everywhere (IR version argv[2])."""
import sys

import onnx
from onnx import TensorProto, helper

node = helper.make_node("IsNaN", ["x"], ["y"], name="isnan0")
node.metadata_props.add(key="pkg.torch.onnx.stack_trace", value="line 1")
graph = helper.make_graph(
    [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.BOOL, ["batch", 4])])
graph.metadata_props.add(key="k", value="v")
vi = graph.value_info.add()
vi.CopyFrom(helper.make_tensor_value_info("y", TensorProto.BOOL, ["batch", 4]))
vi.metadata_props.add(key="c", value="d")
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
model.ir_version = int(sys.argv[2])
model.metadata_props.add(key="a", value="b")
# Serialized without onnx.save's checks (the installed onnx may be older than
# the IR version written).
with open(sys.argv[1], "wb") as f:
    f.write(model.SerializeToString())
