"""Trains a small CNN on scikit-learn's digits (8x8 images) and exports it to ONNX.

Writes to examples/digits/out/: digits.onnx (opset 17, input "image" [1,1,8,8], output
"logits" [1,10]), the held-out split (test_x.npy, test_y.npy) that demo.py evaluates, and
200 training images (calib.npz, keyed by input name) that calibrate the int8 model.
Seeds are fixed, so two runs on the same machine give the same model.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

OUT = Path(__file__).resolve().parent / "out"
SEED = 0
EPOCHS = 30
LEARNING_RATE = 1e-2
BATCH = 64


def make_model() -> nn.Module:
    # Conv, ReLU, pooling, BatchNorm (folded by the converter) and a Linear head: the common
    # shape of a small vision model, 8x8 in, 10 logits out.
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def load_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]  # N,1,8,8 in [0,1]
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)


def train(model: nn.Module, x: np.ndarray, y: np.ndarray) -> None:
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    steps = EPOCHS * -(-len(xt) // BATCH)
    # One-cycle schedule: a high rate early, annealed to near zero, converges in few epochs.
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LEARNING_RATE, total_steps=steps)
    gen = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(EPOCHS):
        for idx in torch.randperm(len(xt), generator=gen).split(BATCH):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
            schedule.step()
    model.eval()


CALIBRATION_IMAGES = 200


def main() -> None:
    torch.manual_seed(SEED)
    # One thread: the model is tiny, so threads only add overhead (and on a busy or small CI
    # machine, stalls); it also keeps the float summation order, hence the weights, stable.
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    x_train, x_test, y_train, y_test = load_split()
    model = make_model()
    start = time.perf_counter()
    train(model, x_train, y_train)
    with torch.no_grad():
        acc = (model(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean()
    print(f"trained in {time.perf_counter() - start:.1f} s: torch test accuracy {acc:.4f} "
          f"on {len(y_test)} images")
    np.save(OUT / "test_x.npy", x_test)
    np.save(OUT / "test_y.npy", y_test)
    # Calibration data for the int8 model: training images only, never the test split.
    np.savez(OUT / "calib.npz", image=x_train[:CALIBRATION_IMAGES])
    path = OUT / "digits.onnx"
    # The TorchScript exporter writes opset 17 natively; the dynamo one starts at 18 and
    # down-converts. Its deprecation notice is not news to the person running the demo.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (torch.zeros(1, 1, 8, 8),), str(path), opset_version=17,
                          input_names=["image"], output_names=["logits"], dynamo=False)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
