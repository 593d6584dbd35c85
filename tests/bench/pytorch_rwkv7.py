#!/usr/bin/python3
# The RWKV-7 model gooselab trains (REFERENCE.md §1: time mix with the WKV recurrence as a
# per-step loop, ReLU² channel mix, LayerNorms, head), written in plain PyTorch eager, trained
# with the same step as core::train() (cross-entropy, clip 1.0, AdamW with w0 at 2x lr and decay
# on the matrices and embedding) at one shape on one thread. build/tests/bench_step runs it and
# compares (with OPENBLAS_NUM_THREADS=1); it prints "CPU_SECONDS_PER_STEP <main thread's CPU
# time, best round>" and "TOKENS_PER_SECOND <best of the rounds>" last.
# Run: /usr/bin/python3 tests/bench/pytorch_rwkv7.py --layers 1 --dim 64 --head-size 16 \
#        --batch 64 --length 32 --vocab 13 --classes 120 [--seconds 2 --rounds 3]
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def lora_size(factor, dim):  # core/rwkv7.cpp auto_lora
    raw = factor * math.sqrt(dim)
    if dim > 128:
        return max(32, 32 * round(raw / 32))
    return min(16, max(8, 8 * round(raw / 16)))


def shift(x):  # shift(x)_t = x_{t-1}, zero before the start
    return F.pad(x, (0, 0, 1, -1))


class TimeMix(nn.Module):
    def __init__(self, C, N, layer, layers):
        super().__init__()
        self.layer, self.H, self.N = layer, C // N, N
        r10 = 1 - layer / layers
        ddd = torch.arange(C) / C
        for name, p in (("x_r", 0.2), ("x_w", 0.9), ("x_k", 0.7), ("x_v", 0.7), ("x_a", 0.9), ("x_g", 0.2)):
            setattr(self, name, nn.Parameter(1 - ddd ** (p * r10)))
        dw, da, dv, dg = lora_size(2.5, C), lora_size(2.5, C), lora_size(1.7, C), lora_size(5, C)

        def lora_b(rank):
            m = torch.empty(rank, C)
            nn.init.orthogonal_(m, gain=0.1)
            return nn.Parameter(m)

        n = torch.arange(C, dtype=torch.float)
        linear = n / (C - 1) - 0.5
        self.w0 = nn.Parameter(-6 + 6 * (n / (C - 1)) ** 1.0 + 0.5)
        self.w1, self.w2 = nn.Parameter(torch.zeros(C, dw)), lora_b(dw)
        self.a0 = nn.Parameter(-0.19 + 0.4 * linear)
        self.a1, self.a2 = nn.Parameter(torch.zeros(C, da)), lora_b(da)
        if layer > 0:
            self.v0 = nn.Parameter(0.73 - 0.4 * linear)
            self.v1, self.v2 = nn.Parameter(torch.zeros(C, dv)), lora_b(dv)
        self.g1, self.g2 = nn.Parameter(torch.zeros(C, dg)), lora_b(dg)
        self.k_k = nn.Parameter(0.71 - 0.1 * linear)
        self.k_a = nn.Parameter(torch.full((C,), 1.02))
        self.r_k = nn.Parameter(torch.full((self.H, N), -0.04))
        self.receptance = nn.Linear(C, C, bias=False)
        self.key = nn.Linear(C, C, bias=False)
        self.value = nn.Linear(C, C, bias=False)
        self.output = nn.Linear(C, C, bias=False)
        nn.init.orthogonal_(self.receptance.weight)
        nn.init.orthogonal_(self.key.weight, gain=0.1)
        nn.init.orthogonal_(self.value.weight)
        nn.init.zeros_(self.output.weight)
        self.ln_x = nn.GroupNorm(self.H, C, eps=64e-5)

    def forward(self, x, v_first):
        B, T, C = x.shape
        H, N = self.H, self.N
        xx = shift(x) - x
        xr, xw, xk = x + xx * self.x_r, x + xx * self.x_w, x + xx * self.x_k
        xv, xa, xg = x + xx * self.x_v, x + xx * self.x_a, x + xx * self.x_g
        r = self.receptance(xr)
        w = torch.exp(-0.6065306597 * torch.sigmoid(self.w0 + torch.tanh(xw @ self.w1) @ self.w2))
        k = self.key(xk)
        v = self.value(xv)
        if self.layer == 0:
            v_first = v
        else:
            v = v + (v_first - v) * torch.sigmoid(self.v0 + (xv @ self.v1) @ self.v2)
        a = torch.sigmoid(self.a0 + (xa @ self.a1) @ self.a2)
        g = torch.sigmoid(xg @ self.g1) @ self.g2
        kk = F.normalize((k * self.k_k).view(B, T, H, N), dim=-1, p=2.0).view(B, T, C)
        k = k * (1 + (a - 1) * self.k_a)
        # WKV, one step at a time: S = S·diag(w) + (S a) bᵀ + v kᵀ, y = S r, a = -κ̂, b = κ̂·a.
        heads = lambda t: t.view(B, T, H, N)
        rh, wh, kh, vh, ah, bh = heads(r), heads(w), heads(k), heads(v), heads(-kk), heads(kk * a)
        S = torch.zeros(B, H, N, N)
        ys = []
        for t in range(T):
            sa = S @ ah[:, t].unsqueeze(-1)
            S = S * wh[:, t].unsqueeze(-2) + sa @ bh[:, t].unsqueeze(-2) + vh[:, t].unsqueeze(-1) @ kh[:, t].unsqueeze(-2)
            ys.append((S @ rh[:, t].unsqueeze(-1)).squeeze(-1))
        y = torch.stack(ys, 1).reshape(B * T, C)
        y = self.ln_x(y).view(B, T, C)
        y = y + ((rh * kh * self.r_k).sum(-1, keepdim=True) * vh).view(B, T, C)
        return self.output(y * g), v_first


class ChannelMix(nn.Module):
    def __init__(self, C, layer, layers):
        super().__init__()
        r10 = 1 - layer / layers
        self.x_k = nn.Parameter(1 - (torch.arange(C) / C) ** (r10 ** 4))
        self.key = nn.Linear(C, 4 * C, bias=False)
        self.value = nn.Linear(4 * C, C, bias=False)
        nn.init.orthogonal_(self.key.weight)
        nn.init.zeros_(self.value.weight)

    def forward(self, x):
        k = x + (shift(x) - x) * self.x_k
        return self.value(torch.relu(self.key(k)) ** 2)


class Block(nn.Module):
    def __init__(self, C, N, layer, layers):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.att, self.ffn = TimeMix(C, N, layer, layers), ChannelMix(C, layer, layers)


class Rwkv7(nn.Module):
    def __init__(self, vocab, classes, layers, C, N):
        super().__init__()
        self.emb = nn.Embedding(vocab, C)
        nn.init.uniform_(self.emb.weight, -1e-4, 1e-4)
        self.ln0, self.ln_out = nn.LayerNorm(C), nn.LayerNorm(C)
        self.blocks = nn.ModuleList(Block(C, N, l, layers) for l in range(layers))
        self.head = nn.Linear(C, classes, bias=False)
        nn.init.orthogonal_(self.head.weight, gain=0.5 * math.sqrt(classes / C) if classes > C else 0.5)

    def forward(self, tokens):
        x = self.ln0(self.emb(tokens))
        v_first = None
        for b in self.blocks:
            out, v_first = b.att(b.ln1(x), v_first)
            x = x + out
            x = x + b.ffn(b.ln2(x))
        return self.head(self.ln_out(x))


def main():
    p = argparse.ArgumentParser()
    for name, default in (("layers", 1), ("dim", 64), ("head-size", 16), ("batch", 64), ("length", 32),
                          ("vocab", 13), ("classes", 120), ("rounds", 3)):
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--seconds", type=float, default=2.0)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = Rwkv7(a.vocab, a.classes, a.layers, a.dim, a.head_size)
    # Parameter groups as Rwkv7Model::parameter_groups(): matrices of Linear layers and the
    # embedding decayed, w0 at twice the rate, the rest plain.
    decayed, w0s, plain = [], [], []
    for name, prm in model.named_parameters():
        if name.endswith(".w0"):
            w0s.append(prm)
        elif name.endswith("weight") and prm.dim() == 2 and ("emb" in name or "receptance" in name or "key" in name
                                                              or "value" in name or "output" in name or "head" in name):
            decayed.append(prm)
        else:
            plain.append(prm)
    lr = 1e-3
    opt = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": plain, "weight_decay": 0.0},
                             {"params": w0s, "lr": 2 * lr, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.99), eps=1e-8)
    g = torch.Generator().manual_seed(7)
    tokens = torch.randint(0, a.vocab, (a.batch, a.length), generator=g)
    targets = torch.randint(0, a.classes, (a.batch, a.length), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, a.classes), targets.reshape(-1), ignore_index=-100)
        loss.item()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    best, best_cpu = float("inf"), float("inf")
    for _ in range(a.rounds):
        n, start, cpu = 0, time.perf_counter(), time.thread_time()
        while n < 3 or time.perf_counter() - start < a.seconds:
            step()
            n += 1
        best = min(best, (time.perf_counter() - start) / n)
        best_cpu = min(best_cpu, (time.thread_time() - cpu) / n)
    params = sum(p.numel() for p in model.parameters())
    print(f"PyTorch {torch.__version__} eager, 1 thread: {a.layers} layer(s), width {a.dim}, head size "
          f"{a.head_size}, batch {a.batch}, length {a.length}, {params} parameters: "
          f"{best * 1e3:.2f} ms/step (best of {a.rounds} rounds)")
    print(f"CPU_SECONDS_PER_STEP {best_cpu:.6f}")
    print(f"TOKENS_PER_SECOND {a.batch * a.length / best:.1f}")


if __name__ == "__main__":
    main()
