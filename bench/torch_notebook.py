"""PyTorch side of bench/trainStep.bench.ts and bench/architectures.bench.ts: the notebook's
models, the workshop's transformer, and the PyTorch twins of slmkit's mlp, cnn, rnn, lstm and gru
(imported from scripts/golden/architectures.py, the modules the golden fixtures come from), each
trained with the notebook's step, timed.

Usage:
    python3 bench/torch_notebook.py BATCHES.json --model lowrank|markov|transformer|mlp|cnn|rnn|lstm|gru \
        [--config JSON] [--mem-limit-gb 22] [--micro-rows R]

--config takes slmkit's config.json keys for the model (embedDim, hiddenDim, layers, context,
channels, kernelSize, heads, maxLen, dropout, …, as bench/architectures.bench.ts resolves them)
and "lr"; keys left out take the defaults below (the notebook's and the workshop's settings).
Every model runs the padded batch as it is, as the notebook's step does.

BATCHES.json (written by the TypeScript side, so both run on identical shapes):
    {"vocabSize": V, "batches": [{"B": B, "T": T, "ids": [B*T ints], "mask": [B*T ints]}, ...]}
ids are padded with 0, mask is 1 on real tokens (the notebook's input_ids / attention_mask).

One training step per batch, exactly as the notebook's loop (and the workshop's utils.train):
    x = ids[:, :-1]; targets = ids[:, 1:]; mask = attention_mask[:, 1:]
    logits = model(x).permute(0, 2, 1)
    loss = masked_cross_entropy(logits, targets, mask)
    optimizer.zero_grad(); loss.backward(); optimizer.step()
The first step is a warm-up (AdamW allocates its state there) and is reported on its own;
tokensPerSecond and secondsPerStep come from the remaining steps (from the only one if there is one).

The step runs in a child process under an address-space limit (RLIMIT_AS, at most --mem-limit-gb GB
and at most the memory available now less 1.5 GiB), so the full-rank Markov chain, which needs far
more than 24 GB in PyTorch at batch 128, fails fast with {"error": "out of memory"} instead of
pushing the machine into swap or the OOM killer.

--micro-rows R is NOT the notebook's code: it accumulates gradients over slices of R rows (each
slice's masked loss sum divided by the whole batch's real-token count, so the gradient is the same).
The TypeScript side uses it only as a labelled fallback when the notebook's step runs out of memory.

Prints one JSON object on stdout: {model, parameters, tokensPerSecond, secondsPerStep,
firstStepSeconds, stepSeconds, losses, tokens, peakRssBytes, memLimitBytes, torch, threads, blas}
or {model, error, peakRssBytes, memLimitBytes, detail}.
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

# The notebook's MarkovChain, MarkovChainLowRank and masked_cross_entropy live beside the golden
# fixture script, which checks slmkit against them.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "golden"))

GIB = 1 << 30
GB = 10 ** 9


# ----------------------------------------------------------------------------------------------
# The models, as the notebooks write them.
# ----------------------------------------------------------------------------------------------

KINDS = ["markov", "lowrank", "transformer", "mlp", "cnn", "rnn", "lstm", "gru"]


def build_model(kind, vocab_size, config):
    import torch
    from torch import nn
    from notebook_models import MarkovChain, MarkovChainLowRank  # scripts/golden, on sys.path

    class MultiHeadMaskedAttention(nn.Module):
        """Workshop notebook 03: causal attention by einsum, dropout on the attention logits,
        bias-free q/k/v/proj. (The workshop computes v with the key projection; this uses the
        value projection, as slmkit does; the cost is the same.)"""

        def __init__(self, embed_dim, num_heads, max_tokens, dropout_rate):
            super().__init__()
            self.embed_dim = embed_dim
            self.num_heads = num_heads
            self.head_dim = embed_dim // num_heads
            self.scale_factor = self.head_dim ** -0.5
            self.query = nn.Linear(embed_dim, embed_dim, bias=False)
            self.key = nn.Linear(embed_dim, embed_dim, bias=False)
            self.value = nn.Linear(embed_dim, embed_dim, bias=False)
            self.attn_dropout = nn.Dropout(dropout_rate)
            self.proj = nn.Sequential(nn.Linear(embed_dim, embed_dim, bias=False), nn.Dropout(dropout_rate))
            self.register_buffer("ar_mask", torch.tril(torch.ones(max_tokens, max_tokens)).unsqueeze(0).unsqueeze(0))

        def forward(self, x):
            L = x.size(1)  # x (N, L, C)
            q, k, v = self.query(x), self.key(x), self.value(x)
            q, k, v = [t.view(-1, L, self.num_heads, self.head_dim) for t in (q, k, v)]  # (N, L, H, D)
            alpha = torch.einsum("Nihe,Njhe->Nhij", q, k) * self.scale_factor  # (N, H, L, L)
            alpha = self.attn_dropout(alpha)
            alpha = alpha.masked_fill(self.ar_mask[:, :, :L, :L] == 0, float("-inf"))
            attn = alpha.softmax(-1)
            v_agg = torch.einsum("Nhij,Njhe->Nihe", attn, v).reshape(-1, L, self.embed_dim)  # (N, L, C)
            return self.proj(v_agg)

    class TransformerBlock(nn.Module):
        """Post-LayerNorm: z = LN1(x + attn(x)); LN2(z + ff(z))."""

        def __init__(self, embed_dim, num_heads, max_tokens, dropout_rate):
            super().__init__()
            self.lay_norm1 = nn.LayerNorm(embed_dim)
            self.lay_norm2 = nn.LayerNorm(embed_dim)
            self.attn = MultiHeadMaskedAttention(embed_dim, num_heads, max_tokens, dropout_rate)
            self.feed_forward = nn.Sequential(
                nn.Linear(embed_dim, 4 * embed_dim), nn.GELU(), nn.Linear(4 * embed_dim, embed_dim), nn.Dropout(dropout_rate))

        def forward(self, x):
            z = self.lay_norm1(x + self.attn(x))
            return self.lay_norm2(z + self.feed_forward(z))

    class Transformer(nn.Module):
        """Token + learned position embeddings, post-LN blocks, Linear(C, V) with bias."""

        def __init__(self, vocab_size, embed_dim, num_heads, max_tokens, num_blocks, dropout_rate):
            super().__init__()
            self.tok_embed = nn.Embedding(vocab_size, embed_dim)
            self.pos_embed = nn.Embedding(max_tokens, embed_dim)
            self.blocks = nn.Sequential(*[TransformerBlock(embed_dim, num_heads, max_tokens, dropout_rate) for _ in range(num_blocks)])
            self.fout = nn.Linear(embed_dim, vocab_size)

        def forward(self, x):
            L = x.shape[-1]
            pos = torch.arange(0, L, device=x.device, dtype=torch.long)
            h = self.blocks(self.tok_embed(x) + self.pos_embed(pos))  # (N, L, C)
            return self.fout(h)  # (N, L, V)

    c = dict(config)
    if kind == "markov":
        return MarkovChain(vocab_size), c.get("lr", 0.1)  # the notebook's learning_rate for this model
    if kind == "lowrank":
        return MarkovChainLowRank(vocab_size, embed_dim=c.get("embedDim", 256)), c.get("lr", 0.001)
    if kind == "transformer":
        if c.get("variant", "post-ln") != "post-ln" or c.get("tieWeights", False):
            raise SystemExit("the PyTorch transformer here is the workshop's (post-ln, untied)")
        return Transformer(vocab_size, embed_dim=c.get("embedDim", 128), num_heads=c.get("heads", 4), max_tokens=c.get("maxLen", 512),
                           num_blocks=c.get("layers", 6), dropout_rate=c.get("dropout", 0.2)), c.get("lr", 0.002)
    # slmkit's other families: their PyTorch twins, as the golden fixtures define them.
    from architectures import MLP, CausalCNN, RecurrentLM  # scripts/golden, on sys.path
    p = c.get("dropout", 0.1)
    if kind == "mlp":
        return MLP(vocab_size, c.get("context", 8), c.get("embedDim", 64), c.get("hiddenDim", 256), p), c.get("lr", 0.001)
    if kind == "cnn":
        return CausalCNN(vocab_size, c.get("channels", 256), c.get("kernelSize", 3), c.get("layers", 6), p), c.get("lr", 0.001)
    if kind in ("rnn", "lstm", "gru"):
        return RecurrentLM(kind, vocab_size, c.get("embedDim", 256), c.get("hiddenDim", 256), c.get("layers", 1), p), c.get("lr", 0.002)
    raise SystemExit(f"unknown model {kind!r}: use {', '.join(KINDS)}")


# ----------------------------------------------------------------------------------------------
# Child: build, step, time.
# ----------------------------------------------------------------------------------------------

def peak_rss_bytes(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss * 1024  # Linux reports kB


def run_child(args):
    import torch
    from notebook_models import masked_cross_entropy
    torch.set_num_threads(2)
    torch.manual_seed(0)
    with open(args.batches) as f:
        data = json.load(f)
    V = data["vocabSize"]
    batches = []
    for b in data["batches"]:
        ids = torch.tensor(b["ids"], dtype=torch.long).view(b["B"], b["T"])
        mask = torch.tensor(b["mask"], dtype=torch.long).view(b["B"], b["T"])
        batches.append((ids, mask))
    del data

    model, lr = build_model(args.model, V, json.loads(args.config))
    torch.set_num_threads(2)  # the golden scripts' modules set 1 when imported
    model.train()
    # Every model runs the padded batch as it is: a causal model's real positions never see the
    # padding after them. (For the recurrent twins, pack_padded_sequence would skip the padding but
    # was slower here: nn.LSTM(256, 256) forward + backward on 32 PubMed rows took 4.5 ms of CPU
    # per real token packed, 1.6 ms padded.)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)

    times, cpu_times, losses, tokens = [], [], [], []
    load_before = os.getloadavg()[0]
    for ids, attention_mask in batches:
        t0 = time.perf_counter()
        c0 = time.process_time()
        x = ids[:, :-1]  # remove last
        targets = ids[:, 1:]  # remove first
        mask = attention_mask[:, 1:]  # remove first
        if args.micro_rows <= 0:
            logits = model(x).permute(0, 2, 1)
            loss = masked_cross_entropy(logits, targets, mask)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_value = loss.item()
            del logits, loss
        else:
            # Gradient accumulation (not the notebook's code): same gradient, less memory.
            optimizer.zero_grad()
            num_real = mask.sum()
            loss_value = 0.0
            for r in range(0, x.shape[0], args.micro_rows):
                import torch.nn.functional as F
                logits = model(x[r:r + args.micro_rows]).permute(0, 2, 1)
                token_loss = F.cross_entropy(logits, targets[r:r + args.micro_rows], reduction="none")
                part = (token_loss * mask[r:r + args.micro_rows]).sum() / num_real
                part.backward()
                loss_value += part.item()
                del logits, token_loss, part
            optimizer.step()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        losses.append(loss_value)
        tokens.append(int(mask.sum()))

    timed = slice(1, None) if len(times) > 1 else slice(0, None)
    seconds = sum(times[timed])
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    blas = f"BLAS_INFO={m.group(1) if m else 'unknown'} ({os.path.realpath('/usr/lib/x86_64-linux-gnu/libblas.so.3')})"
    print(json.dumps({
        "model": args.model, "parameters": parameters, "microRows": args.micro_rows or None,
        "tokensPerSecond": sum(tokens[timed]) / seconds, "secondsPerStep": seconds / len(times[timed]),
        "firstStepSeconds": times[0], "stepSeconds": times, "cpuSeconds": cpu_times, "losses": losses, "tokens": tokens,
        "loadAverage": [load_before, os.getloadavg()[0]],
        "peakRssBytes": peak_rss_bytes(), "memLimitBytes": args.mem_limit_bytes,
        "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas,
    }))


# ----------------------------------------------------------------------------------------------
# Parent: run the child under a memory limit, turn a failed allocation into a JSON error.
# ----------------------------------------------------------------------------------------------

def mem_available_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


OOM_MARKERS = ("can't allocate memory", "cannot allocate memory", "memoryerror", "out of memory",
               "std::bad_alloc", "failed to allocate")


def run_parent(args):
    limit = int(args.mem_limit_gb * GB)
    avail = mem_available_bytes()
    if avail is not None:
        limit = min(limit, avail - int(1.5 * GIB))
    limit = max(limit, 2 * GIB)

    def set_limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [sys.executable, os.path.abspath(__file__), args.batches, "--model", args.model, "--config", args.config, "--child",
           "--mem-limit-bytes", str(limit), "--micro-rows", str(args.micro_rows)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=set_limit, text=True)
    child_peak = peak_rss_bytes(resource.RUSAGE_CHILDREN)
    if proc.returncode == 0:
        sys.stdout.write(proc.stdout)
        return 0
    err = (proc.stderr or "").strip()
    tail = " | ".join(err.splitlines()[-3:])[-600:]
    oom = proc.returncode < 0 or any(m in err.lower() for m in OOM_MARKERS)
    print(json.dumps({
        "model": args.model, "microRows": args.micro_rows or None,
        "error": "out of memory" if oom else f"failed with exit code {proc.returncode}",
        "peakRssBytes": child_peak, "memLimitBytes": limit, "exitCode": proc.returncode, "detail": tail,
    }))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("batches")
    p.add_argument("--model", required=True, choices=KINDS)
    p.add_argument("--config", default="{}", help="model keys as in slmkit's config.json, and lr (JSON)")
    p.add_argument("--mem-limit-gb", type=float, default=22.0)
    p.add_argument("--micro-rows", type=int, default=0)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--mem-limit-bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        run_child(args)
        return 0
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
