"""Golden fixtures for slmkit's models, computed by PyTorch.

Run from the repository root (PyTorch needed here only, never by the tests):

    /usr/bin/python3 scripts/golden/models.py

It writes test/fixtures/golden/<name>.json for the notebook's MarkovChain and MarkovChainLowRank
and for slmkit's Transformer (post-ln; pre-ln; pre-ln with tied weights), each holding: the config
(as slmkit's TS config), the initial state dict, one fixed padded batch built the notebook's way,
the logits, the masked cross-entropy loss, every parameter's gradient, the losses of 3 AdamW steps
(the notebook's learning rates, other arguments at their defaults) and the parameters after them.
test/golden.test.ts loads these weights into the TS models and checks that it computes the same.

For analysis only, GOLDEN_F64=1 runs the same models in float64 from the same float32 initial
weights, and GOLDEN_OUT=dir writes elsewhere: comparing the two shows how far PyTorch's own float32
results are from exact (this is what test/golden.test.ts's tolerance is based on). The committed
fixtures are float32, as PyTorch trains by default.

Deterministic: fixed seeds, one thread. Dropout is 0 (the two libraries' RNGs differ). Tensors are
stored as {"shape": [...], "data": [flat float32 values, shortest round-trip decimal]}.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

from notebook_models import MarkovChain, MarkovChainLowRank, masked_cross_entropy  # noqa: E402 (beside this file)

torch.manual_seed(0)
torch.set_num_threads(1)

OUT_DIR = os.environ.get('GOLDEN_OUT') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'golden')
F64 = os.environ.get('GOLDEN_F64') == '1'


# ---- slmkit's transformer (src/models/transformer.ts), module for module ----

class CausalSelfAttention(torch.nn.Module):
    def __init__(self, embed_dim, heads):
        super().__init__()
        self.heads = heads
        self.query = torch.nn.Linear(embed_dim, embed_dim)
        self.key = torch.nn.Linear(embed_dim, embed_dim)
        self.value = torch.nn.Linear(embed_dim, embed_dim)
        self.proj = torch.nn.Linear(embed_dim, embed_dim)

    def forward(self, x, mask):
        # x (B,T,C), mask (B,T) 1 on real tokens or None
        B, T, C = x.shape
        H = self.heads
        D = C // H
        q = self.query(x).view(B, T, H, D).transpose(1, 2)  # (B,H,T,D)
        k = self.key(x).view(B, T, H, D).transpose(1, 2)
        v = self.value(x).view(B, T, H, D).transpose(1, 2)
        s = q @ k.transpose(-2, -1) / math.sqrt(D)  # (B,H,T,T)
        allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None]  # (1,1,T,T)
        if mask is not None:
            real = mask.bool()
            allowed = allowed & real[:, None, :, None] & real[:, None, None, :]  # (B,1,T,T)
        # query i sees key j iff j <= i and both are real; a row that sees nothing outputs zeros
        # (slmkit's kernel semantics). The fully masked rows get finite scores before softmax so
        # that no NaN reaches backward, then are zeroed with the rest of the masked entries.
        seen = allowed.any(-1, keepdim=True)
        s = s.masked_fill(~allowed, float('-inf')).masked_fill(~seen, 0.0)
        att = F.softmax(s, dim=-1).masked_fill(~allowed, 0.0)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.proj(y)


class Block(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg['embedDim']
        self.variant = cfg['variant']
        self.attn = CausalSelfAttention(C, cfg['heads'])
        self.ln1 = torch.nn.LayerNorm(C)
        self.ff = torch.nn.Sequential(torch.nn.Linear(C, 4 * C), torch.nn.GELU(), torch.nn.Linear(4 * C, C))
        self.ln2 = torch.nn.LayerNorm(C)
        self.drop = torch.nn.Dropout(cfg['dropout'])

    def forward(self, x, mask):
        if self.variant == 'post-ln':
            z = self.ln1(x + self.drop(self.attn(x, mask)))
            return self.ln2(z + self.drop(self.ff(z)))
        z = x + self.drop(self.attn(self.ln1(x), mask))
        return z + self.drop(self.ff(self.ln2(z)))


class Transformer(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        assert not (cfg['tieWeights'] and cfg['variant'] != 'pre-ln')
        self.tok_emb = torch.nn.Embedding(cfg['vocabSize'], cfg['embedDim'])
        self.pos_emb = torch.nn.Embedding(cfg['maxLen'], cfg['embedDim'])
        self.drop = torch.nn.Dropout(cfg['dropout'])
        self.blocks = torch.nn.ModuleList([Block(cfg) for _ in range(cfg['layers'])])
        self.ln_f = torch.nn.LayerNorm(cfg['embedDim']) if cfg['variant'] == 'pre-ln' else None
        self.head = None if cfg['tieWeights'] else torch.nn.Linear(cfg['embedDim'], cfg['vocabSize'])

    def forward(self, ids, mask=None):
        T = ids.shape[1]
        x = self.drop(self.tok_emb(ids) + self.pos_emb(torch.arange(T)))  # (B,T,C)
        for b in self.blocks:
            x = b(x, mask)
        if self.ln_f is not None:
            x = self.ln_f(x)
        if self.head is not None:
            return self.head(x)  # (B,T,V)
        return x @ self.tok_emb.weight.t()  # tied


# ---- the notebook's batch ----

def make_batch(vocab_size, lengths=(9, 6, 4), cls_id=2, sep_id=3, pad_id=0):
    """Documents of the given lengths ([CLS] … [SEP]), padded with pad_id to the longest."""
    g = torch.Generator().manual_seed(1234)
    L = max(lengths)
    ids = torch.full((len(lengths), L), pad_id, dtype=torch.long)
    am = torch.zeros((len(lengths), L), dtype=torch.long)
    for i, n in enumerate(lengths):
        body = torch.randint(4, vocab_size, (n - 2,), generator=g)
        ids[i, :n] = torch.cat([torch.tensor([cls_id]), body, torch.tensor([sep_id])])
        am[i, :n] = 1
    return ids, am


# ---- fixture writing ----

def shortest(x):
    """The shortest decimal that reads back as the same float32."""
    for p in range(6, 10):
        s = '%.*g' % (p, x)
        if struct.unpack('f', struct.pack('f', float(s)))[0] == x:
            return float(s)
    return float(x)


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {'shape': list(t.shape), 'data': [shortest(v) for v in t.reshape(-1).tolist()]}


def int_json(t):
    return {'shape': list(t.shape), 'data': [int(v) for v in t.reshape(-1).tolist()]}


def run_model(name, model, config, lr, uses_mask):
    V = config['vocabSize']
    ids, am = make_batch(V)
    x, targets, mask = ids[:, :-1], ids[:, 1:], am[:, 1:]
    in_mask = am[:, :-1]
    fwd = (lambda: model(x, in_mask)) if uses_mask else (lambda: model(x))
    model.train()  # dropout is 0, so train mode is deterministic

    state = {k: tensor_json(v) for k, v in model.state_dict().items()}
    if F64:
        model.double()
    names = [n for n, _ in model.named_parameters()]
    assert sorted(names) == sorted(state.keys()), (names, list(state.keys()))

    logits = fwd()  # (B,T,V)
    loss = masked_cross_entropy(logits.permute(0, 2, 1), targets, mask)
    loss.backward()
    grads = {n: tensor_json(p.grad) for n, p in model.named_parameters()}
    for n, p in model.named_parameters():
        assert torch.isfinite(p.grad).all(), n
    first = {'logits': tensor_json(logits), 'loss': float(loss.item()), 'grads': grads}

    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        step_loss = masked_cross_entropy(fwd().permute(0, 2, 1), targets, mask)
        step_loss.backward()
        opt.step()
        losses.append(float(step_loss.item()))
    final = {k: tensor_json(v) for k, v in model.state_dict().items()}

    fixture = {
        'name': name,
        'generator': 'scripts/golden/models.py (PyTorch %s)' % torch.__version__,
        'config': config,
        'optimizer': {'type': 'AdamW', 'lr': lr, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weightDecay': 0.01},
        'batch': {'ids': int_json(ids), 'attention_mask': int_json(am), 'inputs': int_json(x),
                  'input_mask': int_json(in_mask), 'targets': int_json(targets), 'mask': int_json(mask)},
        'state_dict': state,
        **first,
        'step_losses': losses,
        'final_state_dict': final,
    }
    path = os.path.join(OUT_DIR, name + '.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    print('%-24s loss %.6f  steps %s  %7d bytes' % (name, first['loss'], ['%.6f' % l for l in losses],
                                                    os.path.getsize(path)))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    cfg = {'type': 'markov', 'vocabSize': 37}
    run_model('markov', MarkovChain(37), cfg, 0.1, uses_mask=False)

    torch.manual_seed(1)
    cfg = {'type': 'lowrank', 'vocabSize': 37, 'embedDim': 8, 'dropout': 0.0}
    run_model('lowrank', MarkovChainLowRank(37, 8, dropout=0.0), cfg, 0.001, uses_mask=False)

    for seed, (name, variant, tie) in enumerate([('transformer-post-ln', 'post-ln', False),
                                                 ('transformer-pre-ln', 'pre-ln', False),
                                                 ('transformer-pre-ln-tied', 'pre-ln', True)]):
        torch.manual_seed(10 + seed)
        cfg = {'type': 'transformer', 'vocabSize': 41, 'embedDim': 16, 'heads': 4, 'layers': 2, 'maxLen': 12,
               'dropout': 0.0, 'variant': variant, 'tieWeights': tie}
        run_model(name, Transformer(cfg), cfg, 0.002, uses_mask=True)


if __name__ == '__main__':
    sys.exit(main())
