#!/usr/bin/python3
"""One LoRA training step in PyTorch: the oracle for src/nn/lora-step.test.ts.

usage: lora_step.py MODEL_DIR ADAPTER.safetensors REQUEST.json OUT.json

REQUEST.json: {"input_ids", "attention_mask", "labels", "targets": ["query", "value"], "head": [trainable head
               parameter names], "r", "alpha", "lr", "weight_decay", "max_grad_norm"}
ADAPTER.safetensors: <module>.lora_A.weight [r, in] and <module>.lora_B.weight [out, r] for each target.
Builds the model (BERT, RoBERTa, DistilBERT or ModernBERT by config.model_type) from
../shared/tools/make_fixture.py (plain PyTorch, HF names), freezes everything but LoRA and the head parameters, computes mean cross-entropy, backward, clip_grad_norm_, one AdamW step, and writes
{"loss", "grads": {name: flat}, "norm", "updated": {name: flat}} to OUT.json.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../../shared/tools"))
import make_fixture  # noqa: E402


def read_safetensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        assert v["dtype"] == "F32"
        out[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=torch.float32).reshape(v["shape"]).clone()
    return out


class LoraLinear(nn.Module):
    def __init__(self, base, A, B, scaling):
        super().__init__()
        self.base, self.scaling = base, scaling
        self.lora_A = nn.Parameter(A)
        self.lora_B = nn.Parameter(B)

    def forward(self, x):
        return self.base(x) + self.scaling * ((x @ self.lora_A.t()) @ self.lora_B.t())


def main():
    model_dir, adapter_path, req_path, out_path = sys.argv[1:5]
    req = json.load(open(req_path))
    c = json.load(open(os.path.join(model_dir, "config.json")))
    cls = {"bert": make_fixture.BertForSequenceClassification, "roberta": make_fixture.RobertaForSequenceClassification,
           "distilbert": make_fixture.DistilBertForSequenceClassification,
           "modernbert": make_fixture.ModernBertForSequenceClassification}[c["model_type"]]
    model = cls(c)
    state = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict(state)
    model.eval()  # no dropout: the step is deterministic
    for p in model.parameters():
        p.requires_grad_(False)
    adapter = read_safetensors(adapter_path)
    scaling = req["alpha"] / req["r"]
    trainable = {}
    for name, mod in list(model.named_modules()):
        for t in req["targets"]:
            if name.endswith("." + t):
                parent = model.get_submodule(name.rsplit(".", 1)[0])
                lora = LoraLinear(mod, adapter[name + ".lora_A.weight"], adapter[name + ".lora_B.weight"], scaling)
                setattr(parent, t, lora)
                trainable[name + ".lora_A.weight"] = lora.lora_A
                trainable[name + ".lora_B.weight"] = lora.lora_B
    for n in req["head"]:
        p = dict(model.named_parameters())[n]
        p.requires_grad_(True)
        trainable[n] = p
    ids = torch.tensor(req["input_ids"])
    mask = torch.tensor(req["attention_mask"])
    logits = model(ids, mask, torch.zeros_like(ids)) if c["model_type"] == "bert" else model(ids, mask)
    loss = F.cross_entropy(logits, torch.tensor(req["labels"]))
    loss.backward()
    grads = {n: p.grad.detach().flatten().tolist() for n, p in trainable.items()}
    norm = torch.nn.utils.clip_grad_norm_(list(trainable.values()), req["max_grad_norm"])
    opt = torch.optim.AdamW(list(trainable.values()), lr=req["lr"], weight_decay=req["weight_decay"])
    opt.step()
    updated = {n: p.detach().flatten().tolist() for n, p in trainable.items()}
    json.dump({"loss": loss.item(), "grads": grads, "norm": norm.item(), "updated": updated}, open(out_path, "w"))


if __name__ == "__main__":
    main()
