"""Golden fixtures for slmkit's MLP, causal CNN, RNN, LSTM and GRU, computed by PyTorch.

Run from the repository root (PyTorch needed here only, never by the tests):

    /usr/bin/python3 scripts/golden/architectures.py

Each model below is the PyTorch twin of an slmkit model (src/models/mlp.ts, cnn.ts, recurrent.ts):
the same parameter names and shapes, so an slmkit run's model.safetensors loads into it with
load_state_dict(strict=True). The fixtures hold what scripts/golden/models.py's do (config, initial
state dict, one padded batch, logits, masked loss, every gradient, 3 AdamW steps and the weights
after them), on odd sizes, several layers, and a batch of 16 input positions whose rows have 16,
10, 3, 1, 0 and 0 real inputs (the last document is empty). oneDNN (mkldnn) is disabled, so
nn.RNN/LSTM/GRU and nn.Conv1d run PyTorch's own native kernels.

PyTorch runs the padded batch as it is (no packing): a causal model's real positions do not see
the padding after them, so their outputs are exactly as without padding, and only real positions
enter the loss. slmkit skips padded positions instead, so the logits are compared at real input
positions only (`logits_mask`, the input mask). GOLDEN_F64=1 and GOLDEN_OUT=dir work as in
models.py. Dropout is 0 (the two libraries' random streams differ).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

from models import OUT_DIR, F64, int_json, tensor_json  # noqa: E402 (beside this file)
from notebook_models import masked_cross_entropy  # noqa: E402

torch.set_num_threads(1)


# ---- the twins ----

class MLP(torch.nn.Module):
    """Bengio et al. (2003): the last `context` embeddings concatenated, tanh, dropout, linear."""

    def __init__(self, V, context, E, H, dropout):
        super().__init__()
        self.context = context
        self.embed = torch.nn.Embedding(V, E)
        self.hidden = torch.nn.Linear(context * E, H)
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(H, V)

    def forward(self, ids):
        B, T = ids.shape
        padded = F.pad(ids, (self.context - 1, 0), value=0)  # [PAD] before the document's start
        windows = padded.unfold(1, self.context, 1)  # (B,T,context), oldest first
        x = self.embed(windows).reshape(B, T, -1)  # (B,T,context*E)
        return self.head(self.drop(torch.tanh(self.hidden(x))))


class CausalCNN(torch.nn.Module):
    """Residual causal dilated convolutions: x = x + dropout(relu(conv_i(left_pad(x))))."""

    def __init__(self, V, C, K, L, dropout):
        super().__init__()
        self.K = K
        self.embed = torch.nn.Embedding(V, C)
        self.convs = torch.nn.ModuleList([torch.nn.Conv1d(C, C, K, dilation=2 ** i) for i in range(L)])
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(C, V)

    def forward(self, ids):
        x = self.embed(ids).transpose(1, 2)  # (B,C,T)
        for i, conv in enumerate(self.convs):
            x = x + self.drop(F.relu(conv(F.pad(x, ((self.K - 1) * 2 ** i, 0)))))
        return self.head(x.transpose(1, 2))  # (B,T,V)


class RecurrentLM(torch.nn.Module):
    """Embedding -> dropout -> nn.RNN/LSTM/GRU (batch_first, dropout between layers) -> dropout -> linear."""

    def __init__(self, kind, V, E, H, L, dropout):
        super().__init__()
        self.embed = torch.nn.Embedding(V, E)
        self.drop = torch.nn.Dropout(dropout)
        if kind == 'rnn':
            self.rnn = torch.nn.RNN(E, H, num_layers=L, nonlinearity='tanh', batch_first=True, dropout=dropout)
        else:
            cls = torch.nn.LSTM if kind == 'lstm' else torch.nn.GRU
            self.rnn = cls(E, H, num_layers=L, batch_first=True, dropout=dropout)
        self.head = torch.nn.Linear(H, V)

    def forward(self, ids):
        y, _ = self.rnn(self.drop(self.embed(ids)))  # state starts at zero
        return self.head(self.drop(y))


# ---- the batch: right padding, rows of every awkward length ----

def make_batch(V, lengths=(17, 11, 4, 2, 1, 0), cls_id=2, sep_id=3, pad_id=0):
    """Documents of the given token counts ([CLS] … [SEP]; a 1-token one is [CLS] alone), padded."""
    g = torch.Generator().manual_seed(4321)
    T = max(lengths)
    ids = torch.full((len(lengths), T), pad_id, dtype=torch.long)
    am = torch.zeros((len(lengths), T), dtype=torch.long)
    for i, n in enumerate(lengths):
        if n == 0:
            continue
        body = torch.randint(4, V, (max(0, n - 2),), generator=g)
        doc = torch.cat([torch.tensor([cls_id]), body, torch.tensor([sep_id])])[:n]
        ids[i, :n] = doc
        am[i, :n] = 1
    return ids, am


def run_model(name, model, config, lr):
    V = config['vocabSize']
    ids, am = make_batch(V)
    x, targets, mask = ids[:, :-1], ids[:, 1:], am[:, 1:]
    in_mask = am[:, :-1]
    model.train()  # dropout is 0, so train mode is deterministic
    state = {k: tensor_json(v) for k, v in model.state_dict().items()}
    if F64:
        model.double()
    names = [n for n, _ in model.named_parameters()]
    assert sorted(names) == sorted(state.keys()), (names, list(state.keys()))

    logits = model(x)  # (B,T,V)
    loss = masked_cross_entropy(logits.permute(0, 2, 1), targets, mask)
    loss.backward()
    for n, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), n
    grads = {n: tensor_json(p.grad) for n, p in model.named_parameters()}
    first = {'logits': tensor_json(logits), 'logits_mask': int_json(in_mask), 'loss': float(loss.item()), 'grads': grads}

    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        step_loss = masked_cross_entropy(model(x).permute(0, 2, 1), targets, mask)
        step_loss.backward()
        opt.step()
        losses.append(float(step_loss.item()))
    final = {k: tensor_json(v) for k, v in model.state_dict().items()}

    fixture = {
        'name': name,
        'generator': 'scripts/golden/architectures.py (PyTorch %s, mkldnn off)' % torch.__version__,
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
    print('%-16s loss %.6f  steps %s  %7d bytes' % (name, first['loss'], ['%.6f' % l for l in losses],
                                                   os.path.getsize(path)))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    V = 37
    with torch.backends.mkldnn.flags(enabled=False):
        torch.manual_seed(20)
        cfg = {'type': 'mlp', 'vocabSize': V, 'context': 5, 'embedDim': 3, 'hiddenDim': 11, 'dropout': 0.0}
        run_model('mlp', MLP(V, 5, 3, 11, 0.0), cfg, 0.01)

        for seed, (name, C, K, L) in enumerate([('cnn', 10, 3, 3), ('cnn-k2', 6, 2, 4)]):
            torch.manual_seed(21 + seed)
            cfg = {'type': 'cnn', 'vocabSize': V, 'channels': C, 'kernelSize': K, 'layers': L, 'dropout': 0.0}
            run_model(name, CausalCNN(V, C, K, L, 0.0), cfg, 0.01)

        for seed, (name, kind, E, H, L) in enumerate([('rnn', 'rnn', 7, 9, 2), ('lstm', 'lstm', 7, 17, 2),
                                                      ('gru', 'gru', 7, 9, 2), ('gru-h17', 'gru', 5, 17, 1)]):
            torch.manual_seed(30 + seed)
            cfg = {'type': kind, 'vocabSize': V, 'embedDim': E, 'hiddenDim': H, 'layers': L, 'dropout': 0.0}
            run_model(name, RecurrentLM(kind, V, E, H, L, 0.0), cfg, 0.01)


if __name__ == '__main__':
    sys.exit(main())
