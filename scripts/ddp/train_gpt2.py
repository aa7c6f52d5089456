"""Trains a GPT-2 on token files from `slm export` with DistributedDataParallel, and saves the folder
`slm import` reads. Standard PyTorch only.

    slm export --data STORE --format llmc --out data/pubmed-llmc
    torchrun --standalone --nproc_per_node=2 scripts/ddp/train_gpt2.py --data data/pubmed-llmc --out runs/ddp
    slm import runs/ddp/model --out runs/ddp-imported && slm eval --model runs/ddp-imported --data STORE

On GPUs: --backend nccl --device cuda (one process per GPU). On several nodes: torchrun --nnodes=N
--node_rank=R --rdzv_endpoint=HOST:PORT instead of --standalone. Each rank reads its own windows of
the training stream (data.ShardedLoader); each optimizer step sums --grad-accum micro-batches per
rank, synchronising gradients once per step. Rank 0 writes OUT/checkpoint.pt every
--checkpoint-every steps and at the end (--resume continues from it, or from the file given: model,
optimizer, step and every rank's data position), evaluates on the val documents the way `slm eval` does (each document from its
start, cut to n_positions + 1 tokens, the token-weighted mean cross-entropy), and saves OUT/model
(GPT-2 layout) and OUT/eval.json.
"""
import argparse
import json
import math
import os
import shutil
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

from data import ShardedLoader, TokenFolder
from model import GPT2, gpt2_config, load_folder, save_folder

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--data', required=True, help='folder from slm export --format llmc|nanogpt')
p.add_argument('--out', required=True, help='output folder: checkpoint.pt, eval.json, model/ (GPT-2 layout)')
p.add_argument('--init', help='start from this GPT-2 folder (e.g. slm export --format hf) instead of fresh weights')
p.add_argument('--n-layer', type=int, default=6)
p.add_argument('--n-embd', type=int, default=128)
p.add_argument('--n-head', type=int, default=4)
p.add_argument('--block-size', type=int, default=512, help='context length T (n_positions)')
p.add_argument('--untied', action='store_true', help='a separate lm_head instead of sharing the token embedding')
p.add_argument('--dropout', type=float, default=0.0)
p.add_argument('--batch-size', type=int, default=8, help='rows per micro-batch per rank')
p.add_argument('--grad-accum', type=int, default=1, help='micro-batches per rank per optimizer step')
p.add_argument('--steps', type=int, default=100)
p.add_argument('--lr', type=float, default=6e-4)
p.add_argument('--warmup', type=int, default=0, help='steps of linear learning-rate warm-up')
p.add_argument('--weight-decay', type=float, default=0.1, help='on matrices only')
p.add_argument('--grad-clip', type=float, default=1.0)
p.add_argument('--checkpoint-every', type=int, default=0, help='steps between checkpoints (0: only at the end)')
p.add_argument('--keep-checkpoints', action='store_true', help='also keep each checkpoint as OUT/checkpoint-STEP.pt')
p.add_argument('--resume', nargs='?', const='', help='continue from OUT/checkpoint.pt, or from the checkpoint file given')
p.add_argument('--eval-docs', type=int, default=0, help='val documents to score at the end (0: all)')
p.add_argument('--vocab-size', type=int, help='when the folder has no meta.json / meta.pkl')
p.add_argument('--eot-id', type=int, help='end-of-document id, when the folder has no meta.json')
p.add_argument('--backend', default='gloo', help='gloo (CPU), nccl (GPUs)')
p.add_argument('--device', default='cpu', help='cpu, or cuda (each rank takes cuda:LOCAL_RANK)')
p.add_argument('--seed', type=int, default=1337)
args = p.parse_args()

dist.init_process_group(backend=args.backend)
rank, world = dist.get_rank(), dist.get_world_size()
device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0))) if args.device == 'cuda' else torch.device('cpu')
if device.type == 'cuda':
    torch.cuda.set_device(device)
torch.manual_seed(args.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
master = rank == 0


def log(*a):
    if master:
        print(*a, flush=True)


data = TokenFolder(args.data, eot_id=args.eot_id, vocab_size=args.vocab_size)
if args.init:
    model = load_folder(args.init).train()
    cfg = model.cfg
    if cfg['vocab_size'] != data.vocab_size:
        raise SystemExit('%s has vocab_size %d but %s has %d' % (args.init, cfg['vocab_size'], args.data, data.vocab_size))
else:
    cfg = gpt2_config(data.vocab_size, args.block_size, args.n_embd, args.n_layer, args.n_head, args.dropout, not args.untied)
    model = GPT2(cfg)
model.to(device)
T = cfg['n_positions']
decay = [p_ for n, p_ in model.named_parameters() if p_.dim() >= 2]
no_decay = [p_ for n, p_ in model.named_parameters() if p_.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay}, {'params': no_decay, 'weight_decay': 0.0}],
                        lr=args.lr, betas=(0.9, 0.95))
loader = ShardedLoader(data.train, args.batch_size, T, rank, world)
os.makedirs(args.out, exist_ok=True)
ckpt_path = os.path.join(args.out, 'checkpoint.pt')
step = 0
if args.resume is not None:
    resume_path = args.resume or ckpt_path
    ck = torch.load(resume_path, map_location=device)
    if len(ck['loaders']) != world:
        raise SystemExit('%s was written by %d ranks; resume it with --nproc_per_node=%d' % (resume_path, len(ck['loaders']), len(ck['loaders'])))
    model.load_state_dict(ck['model'])
    opt.load_state_dict(ck['optimizer'])
    step = ck['step']
    loader.seek(ck['loaders'][rank])
    log('resumed from %s at step %d' % (resume_path, step))
ddp = DDP(model, device_ids=[device.index] if device.type == 'cuda' else None)


def save_checkpoint():
    positions = [None] * world
    dist.all_gather_object(positions, loader.position())
    if master:
        tmp = ckpt_path + '.tmp'
        torch.save({'model': model.state_dict(), 'optimizer': opt.state_dict(), 'step': step, 'loaders': positions,
                    'config': cfg, 'args': vars(args)}, tmp)
        os.replace(tmp, ckpt_path)
        if args.keep_checkpoints:
            shutil.copyfile(ckpt_path, os.path.join(args.out, 'checkpoint-%06d.pt' % step))


log('%d ranks (%s), %s parameters, %d tokens per step' % (world, args.backend, f'{sum(p_.numel() for p_ in model.parameters()):,}',
                                                           world * args.grad_accum * args.batch_size * T))
t0 = time.time()
while step < args.steps:
    lr = args.lr * min(1.0, (step + 1) / args.warmup) if args.warmup else args.lr
    for g in opt.param_groups:
        g['lr'] = lr
    loss_sum = torch.zeros((), device=device)
    for micro in range(args.grad_accum):
        x, y = (t.to(device) for t in loader.next_batch())
        ddp.require_backward_grad_sync = micro == args.grad_accum - 1  # all-reduce once, on the last micro-batch
        loss = F.cross_entropy(ddp(x).view(-1, cfg['vocab_size']), y.view(-1)) / args.grad_accum
        loss.backward()
        loss_sum += loss.detach()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip) if args.grad_clip > 0 else None
    opt.step()
    opt.zero_grad(set_to_none=True)
    step += 1
    dist.all_reduce(loss_sum)
    log('step %d loss %.4f lr %.2e%s' % (step, loss_sum.item() / world, lr, '' if norm is None else ' norm %.3f' % norm))
    if args.checkpoint_every and step % args.checkpoint_every == 0:
        save_checkpoint()
save_checkpoint()
train_seconds = time.time() - t0


@torch.no_grad()
def windows(n, L, stride):
    """slm eval's sliding windows (src/data/windows.ts) over a document of n tokens: rows (start, inputs,
    skip) that score each target 1 … n−1 once; a document longer than L + 1 tokens is read in windows of
    L inputs moving `stride` tokens on, each scoring only the targets no earlier window did."""
    rows, scored, s = [], 0, 0
    while scored < n - 1:
        inputs = min(L, n - 1 - s)
        rows.append((s, inputs, scored - s))
        scored = s + inputs
        s = min(s + stride, n - 1 - L)
    return rows


def evaluate():
    """slm eval's figure: every target of every val document (longer ones in sliding windows of the
    context, moving half of it), sum of target losses over their count. Documents are shared out
    among the ranks; the sums are all-reduced."""
    model.eval()
    docs = data.val_documents()
    if args.eval_docs:
        docs = docs[:args.eval_docs]
    total = torch.zeros(2, dtype=torch.float64, device=device)
    rows = [(d, s, k, skip) for d in docs[rank::world] for (s, k, skip) in windows(len(d), T, max(1, T // 2))]
    for i in range(0, len(rows), 16):
        batch = rows[i:i + 16]
        L = max(k for _, _, k, _ in batch)
        ids = torch.zeros(len(batch), L + 1, dtype=torch.long)
        keep = torch.zeros(len(batch), L, dtype=torch.bool)
        for r, (d, s, k, skip) in enumerate(batch):
            ids[r, :k + 1] = torch.from_numpy(d[s:s + k + 1])
            keep[r, skip:k] = True
        ids, keep = ids.to(device), keep.to(device).reshape(-1)
        logits = model(ids[:, :-1])  # right padding: real positions never attend to it (causal)
        nll = F.cross_entropy(logits.reshape(-1, cfg['vocab_size']), ids[:, 1:].reshape(-1), reduction='none')
        total += torch.stack([nll[keep].double().sum(), keep.sum().double()])
    dist.all_reduce(total)
    return (total[0] / total[1]).item(), int(total[1].item()), len(docs)


val_loss, val_tokens, val_docs = evaluate()
if master:
    save_folder(model, os.path.join(args.out, 'model'), data.tokenizer, (data.bos_id, data.eot_id, data.pad_id), step)
    result = {'val_loss': val_loss, 'val_tokens': val_tokens, 'val_documents': val_docs, 'steps': step, 'ranks': world,
              'train_seconds': train_seconds, 'last_train_loss': loss_sum.item() / world}
    with open(os.path.join(args.out, 'eval.json'), 'w') as f:
        json.dump(result, f, indent=2)
    log('val loss %.4f over %d tokens of %d documents (perplexity %.2f); model in %s'
        % (val_loss, val_tokens, val_docs, math.exp(val_loss), os.path.join(args.out, 'model')))
dist.destroy_process_group()
