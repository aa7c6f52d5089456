"""The notebook's two models and its masked loss, as the notebook writes them (PyTorch).

Shared by scripts/golden/models.py (golden fixtures) and bench/torch_notebook.py (the PyTorch side
of the training-step benchmark). Importing it has no side effects (no seeds, no thread settings).
The notebook fixes dropout at 0.1; it is an argument here so the fixtures can turn it off.
"""
import torch
import torch.nn.functional as F


class MarkovChain(torch.nn.Module):
    """Model A: a (V, V) table of transition logits, N(0, 1) - 10."""

    def __init__(self, vocab_size):
        super().__init__()
        self.t_logits = torch.nn.Embedding(vocab_size, vocab_size)
        self.t_logits.weight.data -= 10.0

    def forward(self, x):
        logits = self.t_logits(x)  # (N, L, V)
        return logits


class MarkovChainLowRank(torch.nn.Module):
    """Model B: Embedding(V, d) -> Dropout -> Linear(d, V, no bias), the Linear weight - 10."""

    def __init__(self, vocab_size, embed_dim, dropout=0.1):
        super().__init__()
        self.t_logits = torch.nn.Sequential(
            torch.nn.Embedding(vocab_size, embed_dim),
            torch.nn.Dropout(dropout),
            torch.nn.Linear(embed_dim, vocab_size, bias=False)
        )
        self.t_logits[-1].weight.data -= 10.0

    def forward(self, x):
        return self.t_logits(x)  # (N, L, V)


def masked_cross_entropy(logits, targets, mask):
    """logits (N, V, L-1), targets (N, L-1), mask (N, L-1), as in the notebook."""
    token_loss = F.cross_entropy(logits, targets, reduction="none")
    total_loss = (token_loss * mask).sum()
    num_real = mask.sum()
    return total_loss / num_real
