"""The digits CNN the quantization tests share: trained here on scikit-learn's digits, exported
to ONNX (the `digits` fixture), and how its logits and accuracy are read from a converted
model. Test modules use the fixture by importing it."""
from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import pytest

from emberlite import Interpreter
from emberlite.converter.ir import TO_NHWC

CALIBRATION = 200


@pytest.fixture(scope="module")
def digits() -> dict:
    """The trained float model (ONNX) and the data splits, NCHW float32 in [0, 1]."""
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]
    x_train, x_test, y_train, y_test = train_test_split(x, data.target, test_size=0.25,
                                                        random_state=0, stratify=data.target)
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))
    opt = torch.optim.Adam(net.parameters(), lr=0.005)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    generator = torch.Generator().manual_seed(0)
    for _ in range(40):
        for batch in torch.randperm(len(xt), generator=generator).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(net(xt[batch]), yt[batch]).backward()
            opt.step()
    net.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # dynamo=False: the TorchScript exporter writes opset 17 directly.
        torch.onnx.export(net, (torch.zeros(1, 1, 8, 8),), buffer, opset_version=17,
                          dynamo=False, input_names=["image"], output_names=["logits"])
    return {"onnx": onnx.load_from_string(buffer.getvalue()), "x_train": x_train,
            "x_test": x_test, "y_test": y_test}


def logits_of(model_bytes: bytes, images: np.ndarray) -> np.ndarray:
    """Float logits of every image: int8 models get quantized inputs and dequantized outputs
    from the params in their tensor details."""
    interp = Interpreter(model_content=model_bytes)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    s_in, zp_in = inp["quantization"]
    s_out, zp_out = out["quantization"]
    nhwc = interp.get_metadata().get(f"layout.input.{inp['name']}") == "NHWC"
    logits = []
    for image in images:
        x = np.transpose(image[None], TO_NHWC) if nhwc else image[None]
        if inp["dtype"] == np.int8:
            x = np.clip(np.round(x / s_in) + zp_in, -128, 127).astype(np.int8)
        interp.set_tensor(inp["index"], np.ascontiguousarray(x))
        interp.invoke()
        y = interp.get_tensor(out["index"]).reshape(-1)
        logits.append((y.astype(np.float32) - zp_out) * s_out if y.dtype == np.int8 else y)
    return np.stack(logits)


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return 100.0 * float(np.mean(np.argmax(logits, axis=1) == labels))
