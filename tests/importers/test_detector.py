"""A YOLOv8-shaped detector (random weights) exported by torch.onnx with dynamic height and width
and converted once with both dims as ranges: the one .ember file runs at several image sizes
against ONNX Runtime on the same inputs, within 1e-4 x max |output|.

The network follows YOLOv8's layout at a small width: Conv-BN-SiLU blocks, C2f blocks (a
Split, bottlenecks with residual adds, a Concat), SPPF (three chained 5x5 max pools), an FPN
and PAN neck (nearest 2x Resize, Concat, strided convolutions) and a decoupled head whose box
branch ends in the distribution focal loss decoding (Reshape, Transpose, Softmax, a 1x1
convolution with fixed weights 0..15). Its output is each anchor's 4 box distances and class
scores, [1, 4 + classes, anchors], the anchor count following the image size. The anchor grid
(torch's make_anchors, built from the feature-map sizes at run time) is left to the
post-processing, as in a raw-head export: Emberlite does not yet compute tensors from shapes at
run time.
"""
from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest

from conftest import require_module
from emberlite import Interpreter
from emberlite.converter import Converter
from tests.helpers import run_ort

CLASSES = 8
REG_MAX = 16
SIZES = [(320, 320), (256, 192), (64, 128), (96, 320)]


def _detector() -> object:
    torch = require_module("torch")
    nn = torch.nn

    class Conv(nn.Module):
        def __init__(self, cin: int, cout: int, k: int = 1, s: int = 1) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, k, s, k // 2, bias=False)
            self.bn = nn.BatchNorm2d(cout)
            self.act = nn.SiLU()

        def forward(self, x):
            return self.act(self.bn(self.conv(x)))

    class Bottleneck(nn.Module):
        def __init__(self, c: int, shortcut: bool) -> None:
            super().__init__()
            self.cv1, self.cv2, self.add = Conv(c, c, 3), Conv(c, c, 3), shortcut

        def forward(self, x):
            y = self.cv2(self.cv1(x))
            return x + y if self.add else y

    class C2f(nn.Module):
        def __init__(self, cin: int, cout: int, n: int = 1, shortcut: bool = True) -> None:
            super().__init__()
            self.c = cout // 2
            self.cv1 = Conv(cin, 2 * self.c)
            self.cv2 = Conv((2 + n) * self.c, cout)
            self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

        def forward(self, x):
            y = list(self.cv1(x).chunk(2, 1))
            y.extend(m(y[-1]) for m in self.m)
            return self.cv2(torch.cat(y, 1))

    class SPPF(nn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.cv1, self.cv2 = Conv(c, c // 2), Conv(c * 2, c)
            self.pool = nn.MaxPool2d(5, 1, 2)

        def forward(self, x):
            y = [self.cv1(x)]
            y.extend(self.pool(y[-1]) for _ in range(3))
            return self.cv2(torch.cat(y, 1))

    class Head(nn.Module):
        def __init__(self, channels: tuple[int, ...]) -> None:
            super().__init__()
            box, cls = 32, 32
            self.box = nn.ModuleList(nn.Sequential(Conv(c, box, 3), Conv(box, box, 3),
                                                   nn.Conv2d(box, 4 * REG_MAX, 1))
                                     for c in channels)
            self.cls = nn.ModuleList(nn.Sequential(Conv(c, cls, 3), Conv(cls, cls, 3),
                                                   nn.Conv2d(cls, CLASSES, 1))
                                     for c in channels)
            self.dfl = nn.Conv2d(REG_MAX, 1, 1, bias=False).requires_grad_(False)
            self.dfl.weight.data[:] = torch.arange(REG_MAX, dtype=torch.float32).view(
                1, REG_MAX, 1, 1)

        def forward(self, feats):
            b = feats[0].shape[0]
            no = 4 * REG_MAX + CLASSES
            x = torch.cat([torch.cat((bx(f), cl(f)), 1).view(b, no, -1)
                           for f, bx, cl in zip(feats, self.box, self.cls)], 2)
            box, cls = x.split((4 * REG_MAX, CLASSES), 1)
            dist = box.view(b, 4, REG_MAX, -1).transpose(2, 1).softmax(1)
            return torch.cat((self.dfl(dist).view(b, 4, -1), cls.sigmoid()), 1)

    class Detector(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(Conv(3, 8, 3, 2), Conv(8, 16, 3, 2), C2f(16, 16))
            self.p3 = nn.Sequential(Conv(16, 32, 3, 2), C2f(32, 32))
            self.p4 = nn.Sequential(Conv(32, 48, 3, 2), C2f(48, 48))
            self.p5 = nn.Sequential(Conv(48, 64, 3, 2), C2f(64, 64), SPPF(64))
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.top4, self.top3 = C2f(112, 48, shortcut=False), C2f(80, 32, shortcut=False)
            self.down3, self.down4 = Conv(32, 32, 3, 2), Conv(48, 48, 3, 2)
            self.out4, self.out5 = C2f(80, 48, shortcut=False), C2f(112, 64, shortcut=False)
            self.head = Head((32, 48, 64))

        def forward(self, x):
            p3 = self.p3(self.stem(x))
            p4 = self.p4(p3)
            p5 = self.p5(p4)
            t4 = self.top4(torch.cat((self.up(p5), p4), 1))
            n3 = self.top3(torch.cat((self.up(t4), p3), 1))
            n4 = self.out4(torch.cat((self.down3(n3), t4), 1))
            n5 = self.out5(torch.cat((self.down4(n4), p5), 1))
            return self.head([n3, n4, n5])

    torch.manual_seed(0)
    model = Detector().eval()
    with torch.no_grad():  # batch-norm statistics other than the identity
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> tuple[onnx.ModelProto, Interpreter]:
    torch = require_module("torch")
    path = tmp_path_factory.mktemp("detector") / "detector.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
        torch.onnx.export(_detector(), (torch.zeros(1, 3, 320, 320),), str(path),
                          input_names=["images"], output_names=["predictions"],
                          dynamic_axes={"images": {2: "height", 3: "width"}},
                          opset_version=17, dynamo=False)
    model = onnx.load(str(path))
    data = Converter.from_onnx(model, input_shapes={"images": [1, 3, (64, 320), (64, 320)]})
    return model, Interpreter(model_content=data.convert())


@pytest.mark.parametrize("height,width", SIZES)
def test_detector_matches_onnx_runtime_at_each_size(
        detector: tuple[onnx.ModelProto, Interpreter], height: int, width: int) -> None:
    model, interp = detector
    x = np.random.default_rng(height * width).standard_normal((1, 3, height, width))
    x = x.astype(np.float32)
    got = interp.get_signature_runner()(images=x)["predictions"]
    want = run_ort(model, [x])[0]
    anchors = sum((height // s) * (width // s) for s in (8, 16, 32))
    assert got.shape == want.shape == (1, 4 + CLASSES, anchors)
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()


def test_detector_file_keeps_height_and_width_dynamic(
        detector: tuple[onnx.ModelProto, Interpreter]) -> None:
    _, interp = detector
    images = interp.get_input_details()[0]
    assert list(images["shape_signature"]) == [1, 3, -1, -1]  # NCHW, as the ONNX model
    assert interp.input_dim_ranges(images["index"])[2:] == [(64, 320, "height"),
                                                            (64, 320, "width")]


def test_detector_refuses_a_size_outside_its_range(
        detector: tuple[onnx.ModelProto, Interpreter]) -> None:
    _, interp = detector
    images = interp.get_input_details()[0]["index"]
    with pytest.raises(Exception, match=r"dim 2 \('height'\) must be in \[64, 320\], got 352"):
        interp.resize_tensor_input(images, [1, 3, 352, 320])
