#!/usr/bin/env python3
"""PyTorch nn.GRU fixtures (Tests/KerasFilesTests/Fixtures/pytorch): random nn.GRU modules
saved as safetensors state dicts, an input, and PyTorch's own output for it (batch first).
The Swift test builds the Keras model from the state dict and must give PyTorch's output
within 1e-5, and writes the state dict back unchanged.

Usage: python3 Scripts/make-pytorch-fixtures.py   (packages: Scripts/requirements-pytorch.txt)
"""
import json, os
import numpy as np
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KerasFilesTests", "Fixtures", "pytorch")


class Wrapped(torch.nn.Module):
    """An nn.GRU inside a model, as users save them: its names get the prefix 'gru.'."""

    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(4, 3, bias=False, batch_first=True)
        self.head = torch.nn.Linear(3, 1)

    def forward(self, x):
        return self.gru(x)[0]


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(7)
    cases = [
        ("gru_one_layer", torch.nn.GRU(5, 4, batch_first=True), (3, 7, 5), None),
        ("gru_two_layers_bidirectional", torch.nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True), (3, 6, 3), None),
        ("gru_in_a_model_no_bias", Wrapped(), (2, 5, 4), "gru."),
    ]
    manifest = []
    for name, module, shape, prefix in cases:
        with torch.no_grad():
            for p in module.parameters():
                p.uniform_(-0.6, 0.6)
            x = torch.randn(*shape)
            y = module(x)
            y = y[0] if isinstance(y, tuple) else y
        save_file({k: v.contiguous() for k, v in module.state_dict().items()}, os.path.join(OUT, name + ".safetensors"))
        np.save(os.path.join(OUT, name + ".x.npy"), x.numpy())
        np.save(os.path.join(OUT, name + ".y.npy"), y.numpy())
        manifest.append({"name": name, "prefix": prefix, "output_shape": list(y.shape)})
        print(name, list(module.state_dict()), tuple(y.shape))
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump({"torch_version": torch.__version__, "cases": manifest}, fh, indent=1)


if __name__ == "__main__":
    main()
