#!/usr/bin/python3
"""The same LoRA step as bench/grad-lora-step.mjs in PyTorch (eval mode, query/value r=4, classifier trainable).
usage: /usr/bin/python3 bench/grad-lora-step.py [model-dir] [batch] [threads]"""
import json, os, sys, time
import torch
import torch.nn.functional as F
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../shared/tools"))
sys.path.insert(0, os.path.join(HERE, "../src/nn/testdata"))
import make_fixture  # noqa: E402
from lora_step import LoraLinear, read_safetensors  # noqa: E402

d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../shared/models/bert-tiny-sentiment")
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 8
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
c = json.load(open(os.path.join(d, "config.json")))
model = make_fixture.BertForSequenceClassification(c)
model.load_state_dict(read_safetensors(os.path.join(d, "model.safetensors")))
model.eval()
for p in model.parameters():
    p.requires_grad_(False)
train = []
for name, mod in list(model.named_modules()):
    for t in ["query", "value"]:
        if name.endswith("." + t):
            h = mod.weight.shape[1]
            lora = LoraLinear(mod, torch.randn(4, h) * 0.1, torch.zeros(mod.weight.shape[0], 4), 2.0)
            setattr(model.get_submodule(name.rsplit(".", 1)[0]), t, lora)
            train += [lora.lora_A, lora.lora_B]
model.classifier.weight.requires_grad_(True)
model.classifier.bias.requires_grad_(True)
train += [model.classifier.weight, model.classifier.bias]
ref = json.load(open(os.path.join(HERE, "../../shared/models/bert-tiny-sentiment/reference.json")))
ids = torch.tensor([ref["input_ids"][i % len(ref["input_ids"])] for i in range(batch)])
mask = torch.tensor([ref["attention_mask"][i % len(ref["attention_mask"])] for i in range(batch)])
labels = torch.tensor([i % len(c["id2label"]) for i in range(batch)])
opt = torch.optim.AdamW(train, lr=1e-3)
def step():
    loss = F.cross_entropy(model(ids, mask, torch.zeros_like(ids)), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(train, 1.0)
    opt.step()
    opt.zero_grad()
step()
ts = []
for _ in range(5):
    t0 = time.perf_counter(); step(); ts.append((time.perf_counter() - t0) * 1000)
ts.sort()
print(f"{os.path.basename(d)}, batch {batch} x {ids.shape[1]} tokens, torch {torch.__version__} {torch.get_num_threads()} thread(s): LoRA step median {ts[2]:.1f} ms (min {ts[0]:.1f})")
