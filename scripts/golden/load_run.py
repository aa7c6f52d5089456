"""Loads an slmkit run's model into its PyTorch twin, as the state-dict promise says it must load.

    /usr/bin/python3 scripts/golden/load_run.py RUN_DIR [ID ...]

For the mlp, cnn, rnn, lstm and gru families (twins in architectures.py): reads RUN_DIR/config.json
and RUN_DIR/model.safetensors (a small reader: no safetensors package needed), builds the twin with
the run's sizes, calls load_state_dict(strict=True) (any missing, unexpected or misshapen tensor is
an error), and prints, as one JSON line, the eval-mode logits of the last position after the given
token ids (default: 2, the [CLS] id). Compare them with slmkit's on the same ids.
"""
import json
import os
import struct
import sys

import torch

from architectures import MLP, CausalCNN, RecurrentLM  # noqa: E402 (beside this file)


def read_safetensors(path):
    """name -> float32 tensor, for files whose tensors are all F32 (slmkit's model.safetensors)."""
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == '__metadata__':
            continue
        if meta['dtype'] != 'F32':
            raise SystemExit('%s: tensor %s is %s, expected F32' % (path, name, meta['dtype']))
        start, end = meta['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(meta['shape'])
    return out


def twin_of(c):
    t = c['type']
    if t == 'mlp':
        return MLP(c['vocabSize'], c['context'], c['embedDim'], c['hiddenDim'], c['dropout'])
    if t == 'cnn':
        return CausalCNN(c['vocabSize'], c['channels'], c['kernelSize'], c['layers'], c['dropout'])
    if t in ('rnn', 'lstm', 'gru'):
        return RecurrentLM(t, c['vocabSize'], c['embedDim'], c['hiddenDim'], c['layers'], c['dropout'])
    raise SystemExit('model type %r has no twin here (mlp, cnn, rnn, lstm, gru)' % t)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    run = sys.argv[1]
    ids = [int(x) for x in sys.argv[2:]] or [2]
    with open(os.path.join(run, 'config.json')) as f:
        config = json.load(f)['model']
    model = twin_of(config)
    model.load_state_dict(read_safetensors(os.path.join(run, 'model.safetensors')), strict=True)
    model.eval()
    with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
        logits = model(torch.tensor([ids]))[0, -1]
    print(json.dumps({'type': config['type'], 'ids': ids, 'logits': [float(v) for v in logits]}))


if __name__ == '__main__':
    sys.exit(main())
