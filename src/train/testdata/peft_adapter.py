#!/usr/bin/python3
"""PEFT's LoRA adapter format, restated in plain PyTorch: the oracle for src/train/peft-roundtrip.test.ts.

usage: peft_adapter.py MODE MODEL_DIR ADAPTER_DIR REQUEST.json OUT.json

  apply  Load the BASE model (../shared/tools/make_fixture.py classes, HF names, model.safetensors) and the adapter in
         ADAPTER_DIR (adapter_config.json + adapter_model.safetensors) the way PEFT interprets them: the output layer
         resized to the adapter's label count, LoRA (W x + s·B(A x), s = lora_alpha/r or lora_alpha/√r with
         use_rslora) attached to every nn.Linear that target_modules / layers_to_transform select, the
         modules_to_save modules loaded from the file. Every tensor in the file must be consumed and every expected
         tensor present (PEFT would silently ignore the one and keep a zero/base value for the other).
  make   Build an adapter as PEFT would save one after training (seeded random lora_A / lora_B at the modules that
         REQUEST's target_modules select, a new random head for REQUEST's labels), write it to ADAPTER_DIR with
         PEFT's key names, and evaluate it.
  head   The projection-head format (adapter_type "projection_head"): logits = W z + b, z = x + s·B·A·x, x the
         L2-normalised embedding; MODEL_DIR is ignored.

REQUEST.json: apply / make: {"input_ids", "attention_mask"} (+ make: "labels", "r", "lora_alpha", "use_rslora",
"target_modules", "layers_to_transform", "modules_to_save", "seed"); head: {"embeddings"}.
OUT.json: apply / make: {"labels", "logits", "probs", "probs_without_lora", "lora_modules"}; head: {"labels", "logits"}.
"""
import json
import math
import os
import re
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../../../shared/tools"))
import make_fixture  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "../../nn/testdata"))
from lora_step import read_safetensors  # noqa: E402  (one safetensors reader for both oracles)

PREFIX = "base_model.model."
CLASSES = {"bert": make_fixture.BertForSequenceClassification, "roberta": make_fixture.RobertaForSequenceClassification,
           "distilbert": make_fixture.DistilBertForSequenceClassification,
           "modernbert": make_fixture.ModernBertForSequenceClassification}
OUTPUT_LAYER = {"bert": "classifier", "roberta": "classifier.out_proj", "distilbert": "classifier",
                "modernbert": "classifier"}


class LoraLinear(nn.Module):
    """PEFT's lora.Linear in eval mode: base(x) + scaling * lora_B(lora_A(dropout(x))), dropout off."""

    def __init__(self, base, r, scaling):
        super().__init__()
        self.base, self.scaling = base, scaling
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        self.enabled = True

    def forward(self, x):
        y = self.base(x)
        return y + self.scaling * self.lora_B(self.lora_A(x)) if self.enabled else y


def target_matches(key, cfg):
    """peft.tuners.tuners_utils.check_target_module_exists for a list of names (+ layers_to_transform)."""
    targets = cfg["target_modules"]
    if isinstance(targets, str):
        found = re.fullmatch(targets, key) is not None
    else:
        found = key in targets or any(key.endswith("." + t) for t in targets)
    if found and cfg.get("layers_to_transform") is not None:
        m = re.match(r".*\.[^.]*\.(\d+)\.", key)
        layers = cfg["layers_to_transform"]
        layers = [layers] if isinstance(layers, int) else layers
        found = m is not None and int(m.group(1)) in layers
    return found


def in_modules_to_save(name, cfg):
    return any(name == m or name.startswith(m + ".") for m in cfg["modules_to_save"])


def build(model_dir, cfg):
    """The base model with its output layer sized for the adapter's labels and empty LoRA layers attached."""
    c = json.load(open(os.path.join(model_dir, "config.json")))
    arch = c["model_type"]
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    model = CLASSES[arch](dict(c, id2label={str(i): l for i, l in enumerate(labels)}))
    state = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    out = OUTPUT_LAYER[arch]
    # from_pretrained(..., num_labels=n, ignore_mismatched_sizes=True): the output layer is new.
    base = {k: v for k, v in state.items() if not k.startswith(out + ".")}
    missing, unexpected = model.load_state_dict(base, strict=False)
    assert not unexpected and sorted(missing) == [out + ".bias", out + ".weight"], (missing, unexpected)
    model.eval()
    r = cfg["r"]
    scaling = cfg["lora_alpha"] / (math.sqrt(r) if cfg.get("use_rslora", False) else r)
    lora = {}
    for name, mod in list(model.named_modules()):
        if isinstance(mod, nn.Linear) and target_matches(name, cfg):
            assert not in_modules_to_save(name, cfg), f"{name} is both a LoRA target and in modules_to_save"
            parent, child = name.rsplit(".", 1)
            layer = LoraLinear(mod, r, scaling)
            setattr(model.get_submodule(parent), child, layer)
            lora[name] = layer
    assert lora, "target_modules selects no linear"
    return model, arch, labels, lora


def head_params(model, cfg):
    """Parameters of the modules_to_save modules, by HF name (the LoRA wrappers' own names are not in the head)."""
    out = {}
    for name, p in model.named_parameters():
        if in_modules_to_save(name, cfg):
            out[name] = p
    assert out, f"modules_to_save {cfg['modules_to_save']} selects no parameter"
    return out


def evaluate(model, arch, labels, lora, req):
    ids = torch.tensor(req["input_ids"])
    mask = torch.tensor(req["attention_mask"])
    run = (lambda: model(ids, mask, torch.zeros_like(ids))) if arch == "bert" else (lambda: model(ids, mask))
    with torch.no_grad():
        logits = run()
        for layer in lora.values():
            layer.enabled = False
        without = run()
        for layer in lora.values():
            layer.enabled = True
    return {"labels": labels, "logits": logits.tolist(), "probs": torch.softmax(logits, -1).tolist(),
            "probs_without_lora": torch.softmax(without, -1).tolist(), "lora_modules": sorted(lora)}


def check_config(cfg):
    assert cfg["peft_type"] == "LORA" and cfg["task_type"] == "SEQ_CLS", cfg
    assert cfg.get("bias", "none") == "none" and cfg.get("fan_in_fan_out", False) is False, cfg
    assert not cfg.get("use_dora", False) and not cfg.get("rank_pattern") and not cfg.get("alpha_pattern"), cfg
    for k in ("r", "lora_alpha", "target_modules", "modules_to_save", "id2label"):
        assert k in cfg, f"adapter_config.json has no {k}"


def apply(model_dir, adapter_dir, req):
    cfg = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))
    check_config(cfg)
    model, arch, labels, lora = build(model_dir, cfg)
    tensors = read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
    assert all(k.startswith(PREFIX) for k in tensors), [k for k in tensors if not k.startswith(PREFIX)]
    tensors = {k[len(PREFIX):]: v for k, v in tensors.items()}
    expected = {}
    for name, layer in lora.items():
        expected[name + ".lora_A.weight"] = layer.lora_A.weight
        expected[name + ".lora_B.weight"] = layer.lora_B.weight
    expected.update(head_params(model, cfg))
    assert sorted(tensors) == sorted(expected), {"missing": sorted(set(expected) - set(tensors)),
                                                 "unexpected": sorted(set(tensors) - set(expected))}
    with torch.no_grad():
        for k, p in expected.items():
            assert list(tensors[k].shape) == list(p.shape), f"{k}: file {list(tensors[k].shape)}, model {list(p.shape)}"
            p.copy_(tensors[k])
    return evaluate(model, arch, labels, lora, req)


def make(model_dir, adapter_dir, req):
    labels = req["labels"]
    cfg = {
        # The keys a current PEFT LoraConfig.save_pretrained writes (defaults where the test does not vary them).
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": os.path.basename(model_dir),
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layer_replication": None, "layers_pattern": None, "layers_to_transform": req["layers_to_transform"],
        "loftq_config": {}, "lora_alpha": req["lora_alpha"], "lora_dropout": 0.1, "megatron_config": None,
        "megatron_core": "megatron.core", "modules_to_save": req["modules_to_save"], "peft_type": "LORA",
        "r": req["r"], "rank_pattern": {}, "revision": None, "target_modules": req["target_modules"],
        "task_type": "SEQ_CLS", "use_dora": False, "use_rslora": req["use_rslora"],
        "id2label": {str(i): l for i, l in enumerate(labels)}, "label2id": {l: i for i, l in enumerate(labels)},
    }
    model, arch, labels, lora = build(model_dir, cfg)
    g = torch.Generator().manual_seed(req["seed"])
    out = {}
    with torch.no_grad():
        for name, layer in sorted(lora.items()):
            A, B = layer.lora_A.weight, layer.lora_B.weight
            A.copy_(torch.randn(A.shape, generator=g) / math.sqrt(A.shape[1]))
            B.copy_(0.2 * torch.randn(B.shape, generator=g))
            out[PREFIX + name + ".lora_A.weight"] = A
            out[PREFIX + name + ".lora_B.weight"] = B
        for name, p in sorted(head_params(model, cfg).items()):
            p.add_(0.3 * torch.randn(p.shape, generator=g))
            out[PREFIX + name] = p
    os.makedirs(adapter_dir, exist_ok=True)
    with open(os.path.join(adapter_dir, "adapter_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    make_fixture.write_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"), out)
    return evaluate(model, arch, labels, lora, req)


def head(adapter_dir, req):
    cfg = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))
    assert cfg["adapter_type"] == "projection_head" and cfg["normalize"] is True, cfg
    t = {k: v.double() for k, v in read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors")).items()}
    assert sorted(t) == ["classifier.bias", "classifier.weight", "projection.lora_A.weight",
                         "projection.lora_B.weight"], sorted(t)
    A, B, W, b = t["projection.lora_A.weight"], t["projection.lora_B.weight"], t["classifier.weight"], t["classifier.bias"]
    r, dim = A.shape
    assert r == cfg["r"] and dim == cfg["embedding_dim"] and list(B.shape) == [dim, r], (A.shape, B.shape, cfg)
    s = cfg["lora_alpha"] / (math.sqrt(r) if cfg["use_rslora"] else r)
    x = torch.tensor(req["embeddings"], dtype=torch.float64)
    x = x / x.norm(dim=-1, keepdim=True)
    z = x + s * (x @ A.t()) @ B.t()
    logits = z @ W.t() + b
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]
    return {"labels": labels, "logits": logits.tolist()}


def main():
    mode, model_dir, adapter_dir, req_path, out_path = sys.argv[1:6]
    req = json.load(open(req_path))
    result = {"apply": lambda: apply(model_dir, adapter_dir, req), "make": lambda: make(model_dir, adapter_dir, req),
              "head": lambda: head(adapter_dir, req)}[mode]()
    json.dump(result, open(out_path, "w"))


if __name__ == "__main__":
    main()
