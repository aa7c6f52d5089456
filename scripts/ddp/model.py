"""GPT-2 in plain PyTorch, with Hugging Face's parameter names and layouts, and its folder format.

The network is Hugging Face's GPT2LMHeadModel (and slmkit's pre-LN transformer): token and learned
position embeddings, blocks x + attn(ln_1(x)) and x + mlp(ln_2(x)) with an exact-erf GELU MLP of
width 4C, a final ln_f, and an output layer tied to the token embedding or a bias-free lm_head.
Weights are named and laid out as GPT-2 saves them (Conv1D weights are (in, out), c_attn holds q, k,
v side by side), so state_dict() is the folder's model.safetensors as it is, and `slm import` reads
what save_folder writes. Standard PyTorch only (1.13 works): no transformers, no safetensors package.
"""
import json
import math
import os
import shutil
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight (in, out), y = x @ W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).view(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg['n_head']
        self.c_attn = Conv1D(cfg['n_embd'], 3 * cfg['n_embd'])
        self.c_proj = Conv1D(cfg['n_embd'], cfg['n_embd'])
        self.drop = nn.Dropout(cfg['resid_pdrop'])

    def forward(self, x):  # x (B,T,C)
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B,H,T,D)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))  # (B,H,T,T)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~causal, torch.finfo(att.dtype).min).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.drop(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg['n_embd'], 4 * cfg['n_embd'])
        self.c_proj = Conv1D(4 * cfg['n_embd'], cfg['n_embd'])
        self.drop = nn.Dropout(cfg['resid_pdrop'])

    def forward(self, x):
        return self.drop(self.c_proj(F.gelu(self.c_fc(x))))  # exact erf GELU: HF's activation_function "gelu"


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg['n_embd'], eps=cfg['layer_norm_epsilon'])
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg['n_embd'], eps=cfg['layer_norm_epsilon'])
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C = cfg['n_embd']
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(cfg['vocab_size'], C),
            wpe=nn.Embedding(cfg['n_positions'], C),
            drop=nn.Dropout(cfg['embd_pdrop']),
            h=nn.ModuleList([Block(cfg) for _ in range(cfg['n_layer'])]),
            ln_f=nn.LayerNorm(C, eps=cfg['layer_norm_epsilon']),
        ))
        self.lm_head = nn.Linear(C, cfg['vocab_size'], bias=False)
        if cfg['tie_word_embeddings']:
            self.lm_head.weight = self.transformer.wte.weight
        # GPT-2's initialisation: N(0, 0.02), residual projections N(0, 0.02/sqrt(2·layers)).
        for name, p in self.named_parameters():
            if name.endswith('c_proj.weight'):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg['n_layer']))
            elif name.endswith(('wte.weight', 'wpe.weight', 'lm_head.weight')):
                nn.init.normal_(p, std=0.02)

    def forward(self, idx):  # idx (B,T) → logits (B,T,V)
        T = idx.size(1)
        if T > self.cfg['n_positions']:
            raise ValueError('sequence of %d tokens is longer than n_positions %d' % (T, self.cfg['n_positions']))
        pos = torch.arange(T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))

    def gpt2_tensors(self):
        """The tensors model.safetensors holds, named as GPT2LMHeadModel.save_pretrained names them."""
        sd = {k: v.detach().float().cpu().contiguous() for k, v in self.state_dict().items()}
        if self.cfg['tie_word_embeddings']:
            del sd['lm_head.weight']  # tied: the file holds wte once, as save_pretrained does
        return sd


def gpt2_config(vocab_size, n_positions, n_embd, n_layer, n_head, dropout=0.0, tied=True, bos=None, eos=None, pad=None):
    """A Hugging Face GPT-2 config.json, with the exact GELU ("gelu") slmkit and this module compute."""
    return {
        'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'],
        'vocab_size': vocab_size, 'n_positions': n_positions, 'n_embd': n_embd, 'n_layer': n_layer, 'n_head': n_head,
        'n_inner': None, 'activation_function': 'gelu', 'resid_pdrop': dropout, 'embd_pdrop': dropout, 'attn_pdrop': 0.0,
        'layer_norm_epsilon': 1e-5, 'initializer_range': 0.02, 'scale_attn_weights': True,
        'scale_attn_by_inverse_layer_idx': False, 'reorder_and_upcast_attn': False,
        'tie_word_embeddings': tied, 'use_cache': True,
        'bos_token_id': bos, 'eos_token_id': eos, 'pad_token_id': pad, 'torch_dtype': 'float32',
    }


def write_safetensors(path, tensors, metadata):
    """The safetensors format: 8-byte little-endian header length, JSON header, raw little-endian data."""
    header, offset, blobs = {'__metadata__': metadata}, 0, []
    for name in sorted(tensors):
        t = tensors[name]
        blob = t.numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b' ' * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """name → float32 tensor (F32, F16 and BF16 entries)."""
    dtypes = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == '__metadata__':
            continue
        if meta['dtype'] not in dtypes:
            raise SystemExit('%s: tensor %s has dtype %s; this reader takes F32, F16, BF16' % (path, name, meta['dtype']))
        start, end = meta['data_offsets']
        t = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[meta['dtype']])
        out[name] = t.float().reshape(meta['shape'])
    return out


def load_folder(path):
    """A GPT-2 folder (config.json + model.safetensors) as a GPT2 module in eval mode."""
    with open(os.path.join(path, 'config.json')) as f:
        cfg = json.load(f)
    if cfg.get('model_type') != 'gpt2' or cfg.get('activation_function') != 'gelu':
        raise SystemExit('%s: expected model_type gpt2 with activation_function gelu, got %s / %s'
                         % (path, cfg.get('model_type'), cfg.get('activation_function')))
    cfg.setdefault('tie_word_embeddings', True)
    model = GPT2(cfg)
    raw = read_safetensors(os.path.join(path, 'model.safetensors'))
    # Files saved from GPT2Model (the original gpt2 checkpoint) lack the "transformer." prefix.
    sd = {('transformer.' + k if not k.startswith(('transformer.', 'lm_head.')) else k): v for k, v in raw.items()}
    sd = {k: v for k, v in sd.items() if not k.endswith(('.attn.bias', '.attn.masked_bias'))}
    if cfg['tie_word_embeddings']:
        sd['lm_head.weight'] = sd['transformer.wte.weight']
    model.load_state_dict(sd, strict=True)
    return model.eval()


def save_folder(model, path, tokenizer_json, special_ids, step):
    """Writes the GPT-2 folder (config.json, model.safetensors, tokenizer files) atomically: a temporary
    folder beside `path`, renamed at the end."""
    tmp = path + '.tmp-%d' % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    c = model.cfg
    bos, eos, pad = special_ids
    cfg = gpt2_config(c['vocab_size'], c['n_positions'], c['n_embd'], c['n_layer'], c['n_head'], c['resid_pdrop'],
                      c['tie_word_embeddings'], bos, eos, pad)
    with open(os.path.join(tmp, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
    write_safetensors(os.path.join(tmp, 'model.safetensors'), model.gpt2_tensors(), {'format': 'pt', 'step': str(step)})
    shutil.copyfile(tokenizer_json, os.path.join(tmp, 'tokenizer.json'))
    with open(os.path.join(tmp, 'tokenizer_config.json'), 'w') as f:
        json.dump({'tokenizer_class': 'PreTrainedTokenizerFast', 'model_max_length': c['n_positions']}, f, indent=2)
    with open(os.path.join(tmp, 'generation_config.json'), 'w') as f:
        json.dump({'bos_token_id': bos, 'eos_token_id': eos, 'pad_token_id': pad}, f, indent=2)
    old = path + '.old-%d' % os.getpid()
    if os.path.exists(path):
        os.rename(path, old)
    os.rename(tmp, path)
    shutil.rmtree(old, ignore_errors=True)
