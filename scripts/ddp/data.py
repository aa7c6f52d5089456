"""Token files as `slm export` writes them (and nanoGPT and llm.c read them), for train_gpt2.py.

A data folder holds either nanoGPT's train.bin / val.bin (bare uint16) or llm.c's shards
(NAME_val_000000.bin, NAME_train_000001.bin, …: a 256-int32 header with magic 20240520, version 1
and the token count, then uint16 tokens), plus meta.json (vocab_size, eot_id, …; from slm export)
or nanoGPT's meta.pkl (vocab_size), and the tokenizer.json the ids come from. Every reader check
names the file and what it found.
"""
import glob
import json
import os
import pickle

import numpy as np
import torch

LLMC_MAGIC, LLMC_VERSION, HEADER_INTS = 20240520, 1, 256


class DataError(SystemExit):
    """A data problem: the message names the file; raising it ends the run with that message."""


def read_shard(path):
    """One llm.c shard's tokens (uint16 array), after checking magic, version and length."""
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        header = np.frombuffer(f.read(HEADER_INTS * 4), dtype='<i4')
        if header.size < 3:
            raise DataError('%s is truncated: %d bytes, shorter than the %d-byte header' % (path, size, HEADER_INTS * 4))
        if header[0] != LLMC_MAGIC:
            raise DataError('%s is not an llm.c token shard: magic %d, expected %d' % (path, header[0], LLMC_MAGIC))
        if header[1] != LLMC_VERSION:
            raise DataError('%s is shard version %d; this script reads version %d (uint16 tokens)' % (path, header[1], LLMC_VERSION))
        count = int(header[2])
        if size != HEADER_INTS * 4 + 2 * count:
            raise DataError('%s is truncated or damaged: its header says %d tokens (%d bytes) but the file has %d bytes'
                            % (path, count, HEADER_INTS * 4 + 2 * count, size))
        return np.frombuffer(f.read(2 * count), dtype='<u2')


def read_bin(path):
    size = os.path.getsize(path)
    if size % 2:
        raise DataError('%s has an odd number of bytes (%d): not a uint16 token file, or truncated' % (path, size))
    return np.memmap(path, dtype='<u2', mode='r')


class TokenFolder:
    """The folder's metadata and its train and val token streams (lists of uint16 arrays)."""

    def __init__(self, path, eot_id=None, vocab_size=None):
        self.path = path
        meta = {}
        if os.path.exists(os.path.join(path, 'meta.json')):
            with open(os.path.join(path, 'meta.json')) as f:
                meta = json.load(f)
        elif os.path.exists(os.path.join(path, 'meta.pkl')):
            with open(os.path.join(path, 'meta.pkl'), 'rb') as f:
                meta = pickle.load(f)
        self.vocab_size = vocab_size or meta.get('vocab_size')
        self.eot_id = eot_id if eot_id is not None else meta.get('eot_id')
        self.bos_id, self.pad_id = meta.get('bos_id'), meta.get('pad_id')
        if self.vocab_size is None:
            raise DataError('%s has no meta.json or meta.pkl saying vocab_size: pass --vocab-size' % path)
        if self.eot_id is None:
            raise DataError('%s has no meta.json saying eot_id (the end-of-document id): pass --eot-id' % path)
        self.tokenizer = os.path.join(path, 'tokenizer.json')
        if os.path.exists(os.path.join(path, 'train.bin')):
            self.train = [read_bin(os.path.join(path, 'train.bin'))]
            self.val = [read_bin(os.path.join(path, 'val.bin'))]
        else:
            train = sorted(glob.glob(os.path.join(path, '*_train_*.bin')))
            val = sorted(glob.glob(os.path.join(path, '*_val_*.bin')))
            if not train or not val:
                raise DataError('%s holds neither train.bin/val.bin (nanoGPT) nor *_train_*.bin and *_val_*.bin shards (llm.c)' % path)
            self.train = [read_shard(p) for p in train]
            self.val = [read_shard(p) for p in val]
        for name, arrays in (('train', self.train), ('val', self.val)):
            top = max((int(a.max()) for a in arrays if a.size), default=0)
            if top >= self.vocab_size:
                raise DataError('%s: the %s tokens reach id %d, but the vocabulary (meta and tokenizer) has %d ids: '
                                'the tokenizer does not match the token files' % (path, name, top, self.vocab_size))
        self.check_tokenizer()

    def check_tokenizer(self):
        """The tokenizer.json beside the files must cover the same ids as the metadata says."""
        if not os.path.exists(self.tokenizer):
            raise DataError('%s is missing: the model folder needs the tokenizer the ids come from' % self.tokenizer)
        with open(self.tokenizer) as f:
            tok = json.load(f)
        vocab = tok.get('model', {}).get('vocab', {})
        ids = list(vocab.values()) if isinstance(vocab, dict) else list(range(len(vocab)))
        ids += [t['id'] for t in tok.get('added_tokens', [])]
        size = max(ids) + 1 if ids else 0
        if size != self.vocab_size:
            raise DataError('%s has %d tokens but the token files say vocab_size %d: the tokenizer does not match the token files'
                            % (self.tokenizer, size, self.vocab_size))

    def val_documents(self, limit=None):
        """The val stream split after each eot_id, each document cut to its first `limit` tokens (None: whole)."""
        docs = []
        cut = (lambda start, end: end) if limit is None else (lambda start, end: min(end, start + limit))
        for a in self.val:
            ends = np.flatnonzero(np.asarray(a) == self.eot_id)
            start = 0
            for e in ends:
                docs.append(np.asarray(a[start:cut(start, e + 1)], dtype=np.int64))
                start = e + 1
            if start < len(a):
                docs.append(np.asarray(a[start:cut(start, len(a))], dtype=np.int64))
        return docs


class ShardedLoader:
    """Training windows for one rank: rows of T+1 tokens read where this rank's turn falls, the ranks
    interleaved (rank r reads the r-th block of every world·B·T), moving on to the next file at the
    end of one. `position()` and `seek()` make a checkpoint resume the same sequence."""

    def __init__(self, arrays, B, T, rank, world):
        self.arrays, self.B, self.T, self.rank, self.world = arrays, B, T, rank, world
        if all(len(a) < B * T * world + 1 for a in arrays):
            raise DataError('no token file holds one step of %d ranks × %d rows × %d tokens' % (world, B, T))
        self.file, self.pos = 0, 0

    def position(self):
        return [self.file, self.pos]

    def seek(self, p):
        self.file, self.pos = p

    def next_batch(self):
        B, T = self.B, self.T
        while self.pos + B * T * self.world + 1 > len(self.arrays[self.file]):
            self.file, self.pos = (self.file + 1) % len(self.arrays), 0
        start = self.pos + self.rank * B * T
        buf = torch.from_numpy(np.asarray(self.arrays[self.file][start:start + B * T + 1], dtype=np.int64))
        self.pos += B * T * self.world
        return buf[:-1].view(B, T), buf[1:].view(B, T)
