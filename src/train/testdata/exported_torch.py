#!/usr/bin/python3
"""PyTorch oracle for an exported model folder (encoder target): build the architecture named in its config.json
from ../shared/tools/make_fixture.py (a plain-PyTorch re-statement of HF's classes, HF parameter names), load the
folder's model.safetensors with strict=True (every name present, none extra), and print softmax probabilities.

  exported_torch.py TOOLS_DIR MODEL_DIR INPUTS_JSON   (INPUTS_JSON: {"input_ids": [[…]], "attention_mask": [[…]]})
"""
import json
import sys

import torch

sys.path.insert(0, sys.argv[1])
import make_fixture as mf  # noqa: E402

d = sys.argv[2]
config = json.load(open(f"{d}/config.json"))
model = getattr(mf, config["architectures"][0])(config)
model.load_state_dict(mf.read_safetensors(f"{d}/model.safetensors"), strict=True)
model.eval()
inputs = json.load(open(sys.argv[3]))
ids = torch.tensor(inputs["input_ids"])
mask = torch.tensor(inputs["attention_mask"])
with torch.no_grad():
    logits = model(ids, mask, torch.zeros_like(ids)) if config["model_type"] == "bert" else model(ids, mask)
print(json.dumps(torch.softmax(logits.double(), -1).tolist()))
