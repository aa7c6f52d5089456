"""Loads a GPT-2 folder into model.py's PyTorch GPT-2 and prints, as one JSON line, its logits for
the given token ids and its greedy continuation: the check that a folder slmkit exported computes
on the other side what it computed in slmkit.

    /usr/bin/python3 scripts/ddp/logits.py HF_DIR ID [ID ...] [--greedy N] [--eos ID]
"""
import argparse
import json

import torch

from model import load_folder

p = argparse.ArgumentParser()
p.add_argument('folder')
p.add_argument('ids', type=int, nargs='+')
p.add_argument('--greedy', type=int, default=0, help='tokens to draw greedily after the ids')
p.add_argument('--eos', type=int, help='stop after drawing this id')
a = p.parse_args()
model = load_folder(a.folder)
with torch.no_grad():
    ids = torch.tensor([a.ids])
    logits = model(ids)[0]  # (T,V)
    out = list(a.ids)
    for _ in range(a.greedy):
        ctx = torch.tensor([out[-model.cfg['n_positions']:]])
        nxt = int(model(ctx)[0, -1].argmax())
        out.append(nxt)
        if nxt == a.eos:
            break
print(json.dumps({'shape': list(logits.shape), 'logits': logits.flatten().tolist(), 'greedy': out[len(a.ids):]}))
