"""Transformer encoders from the `transformers` package's config classes (random weights, no
download), exported by torch.onnx and converted: a BERT-shaped sentence encoder (int64 token
ids, an int64 attention mask with padding, LayerNormalization, Erf GELU, batched MatMul,
Softmax, and the mask arithmetic Equal/Where/Cast/Expand) at sequence lengths 8, 64 and 128,
and a small ViT (patches by a strided Conv). Each against ONNX Runtime on the same inputs:
cosine >= 0.9999 and max |diff| <= 1e-4 x max |output|.

The export keeps batch and sequence dynamic; Emberlite fixes the batch at 1 and keeps the
sequence dynamic in 1..128 (`input_shapes` ranges): one .ember file runs every length, resized
with resize_tensor_input.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest

from conftest import require_module
from emberlite import Interpreter
from emberlite.converter import Converter
from tests.helpers import max_rel_diff, run_ember, run_ort

SEQ_LENGTHS = [8, 64, 128]


def _export(module: object, args: tuple, path: Path, names: list[str], outputs: list[str],
            dynamic: dict[str, dict[int, str]]) -> onnx.ModelProto:
    torch = require_module("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
        torch.onnx.export(module, args, str(path), input_names=names, output_names=outputs,
                          dynamic_axes=dynamic, opset_version=17, dynamo=False)
    return onnx.load(str(path))


def _assert_close(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        cosine = float(np.dot(g.ravel(), w.ravel()) / np.linalg.norm(g) / np.linalg.norm(w))
        assert cosine >= 0.9999, cosine
        assert max_rel_diff(g, w) <= 1e-4


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> onnx.ModelProto:
    torch = require_module("torch")
    transformers = require_module("transformers")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=120, hidden_size=64, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=128,
                                     max_position_embeddings=128)

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = transformers.BertModel(config).eval()

        def forward(self, ids, mask):
            out = self.bert(input_ids=ids, attention_mask=mask)
            return out.last_hidden_state, out.pooler_output

    ids = torch.zeros((1, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "sequence"}
    return _export(Encoder().eval(), (ids, torch.ones_like(ids)),
                   tmp_path_factory.mktemp("bert") / "bert.onnx", ["input_ids", "attention_mask"],
                   ["last_hidden_state", "pooler_output"],
                   {"input_ids": axes, "attention_mask": axes})


@pytest.fixture(scope="module")
def bert_interpreter(bert: onnx.ModelProto) -> Interpreter:
    """One file for every sequence length: the mask's dim shares the ids' "sequence"."""
    data = Converter.from_onnx(bert, input_shapes={"input_ids": [1, (1, 128)]}).convert()
    return Interpreter(model_content=data)


@pytest.mark.parametrize("length", SEQ_LENGTHS)
def test_bert_encoder_matches_onnx_runtime(bert: onnx.ModelProto, bert_interpreter: Interpreter,
                                           length: int) -> None:
    rng = np.random.default_rng(length)
    ids = rng.integers(0, 120, (1, length)).astype(np.int64)
    mask = np.ones((1, length), np.int64)
    mask[0, length * 3 // 4:] = 0  # padding the attention must ignore
    runner = bert_interpreter.get_signature_runner()
    got = runner(input_ids=ids, attention_mask=mask)
    names = [d["name"] for d in bert_interpreter.get_output_details()]
    _assert_close([got[n] for n in names], run_ort(bert, [ids, mask]))


def test_bert_file_is_one_for_every_length(bert_interpreter: Interpreter) -> None:
    ids, mask = bert_interpreter.get_input_details()
    assert list(ids["shape_signature"]) == [1, -1] == list(mask["shape_signature"])
    assert bert_interpreter.input_dim_ranges(ids["index"]) == [(1, 1, ""), (1, 128, "sequence")]


def test_vit_matches_onnx_runtime(tmp_path: Path) -> None:
    torch = require_module("torch")
    transformers = require_module("transformers")
    torch.manual_seed(1)
    config = transformers.ViTConfig(image_size=32, patch_size=8, hidden_size=64,
                                    num_hidden_layers=2, num_attention_heads=4,
                                    intermediate_size=128)

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vit = transformers.ViTModel(config, add_pooling_layer=False)

        def forward(self, pixels):
            return self.vit(pixel_values=pixels).last_hidden_state

    model = _export(Encoder().eval(), (torch.zeros(1, 3, 32, 32),), tmp_path / "vit.onnx",
                    ["pixels"], ["hidden"], {})
    x = np.random.default_rng(2).standard_normal((1, 3, 32, 32)).astype(np.float32)
    _assert_close(run_ember(Converter.from_onnx(model).convert(), [x]), run_ort(model, [x]))
