"""Reference values for the ContrastiveLearning tests, computed with PyTorch (float64
inside, stored as float32-representable JSON numbers). Run from this folder:

    python3 make_fixtures.py     # writes losses.json, sghmc.json, cluster.json and paradigms.json

Seed 20261129. The formulas are those of SPEC sections 2 and 3, written independently of
the Swift code (the authors' BYOL+NRCC code conventions: F.normalize, torch.logsumexp).
"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(20261129)
N, D = 4, 5


def rand(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def leaf(t):
    return t.detach().clone().double().requires_grad_(True)


def byol(pa, pb, ta, tb):
    c1 = F.cosine_similarity(pa, tb.detach(), dim=1, eps=1e-8).mean()
    c2 = F.cosine_similarity(pb, ta.detach(), dim=1, eps=1e-8).mean()
    return 0.5 * ((2 - 2 * c1) + (2 - 2 * c2))


def nt_xent(a, b, tau, decoupled):
    n = a.shape[0]
    z = F.normalize(torch.cat([a, b]), dim=1)
    s = z @ z.T / tau
    eye = torch.eye(2 * n, dtype=torch.bool)
    pos = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    positive = s[torch.arange(2 * n), pos]
    mask = eye.clone()
    if decoupled:
        mask[torch.arange(2 * n), pos] = True
    lse = torch.logsumexp(s.masked_fill(mask, float("-inf")), dim=1)
    return (lse - positive).mean()


def regularizer(anchors, contrast, others, tau, beta, mask_diagonal):
    wc = F.normalize(contrast.detach(), dim=1)
    terms = []
    for u, w in zip(anchors, others):
        u = F.normalize(u, dim=1)
        w = F.normalize(w.detach(), dim=1)
        a = u @ wc.T / tau
        b = u @ w.T / tau
        if mask_diagonal:
            eye = torch.eye(u.shape[0], dtype=torch.bool)
            a = a.masked_fill(eye, float("-inf"))
            b = b.masked_fill(eye, float("-inf"))
        term = torch.logsumexp(a, dim=1)
        if beta != 0:
            term = term - beta * torch.logsumexp(b, dim=1)
        terms.append(term.mean())
    return sum(terms) / len(terms)


losses = {}
pa, pb, ta, tb = rand(N, D), rand(N, D), rand(N, D), rand(N, D)
x = [leaf(t) for t in (pa, pb)]
loss = byol(x[0], x[1], ta.double(), tb.double())
loss.backward()
losses["byol"] = {"predictionA": flat(pa), "predictionB": flat(pb), "targetA": flat(ta), "targetB": flat(tb),
                  "loss": float(loss), "gradientA": flat(x[0].grad), "gradientB": flat(x[1].grad)}

a, b = rand(N, D), rand(N, D)
for name, decoupled in (("ntxent", False), ("ntxentDecoupled", True)):
    x = [leaf(a), leaf(b)]
    loss = nt_xent(x[0], x[1], 0.1, decoupled)
    loss.backward()
    losses[name] = {"a": flat(a), "b": flat(b), "temperature": 0.1, "loss": float(loss),
                    "gradientA": flat(x[0].grad), "gradientB": flat(x[1].grad)}

ua, ub, wc, wa, wb = rand(N, D), rand(N, D), rand(N, D), rand(N, D), rand(N, D)
cases = {
    "regularizerPaper": dict(symmetric=True, tau=0.1, beta=1.0, mask=False),
    "regularizerReference": dict(symmetric=False, tau=0.5, beta=0.0, mask=False),
    "regularizerMasked": dict(symmetric=True, tau=0.1, beta=1.0, mask=True),
}
for name, c in cases.items():
    x = [leaf(ua), leaf(ub)]
    anchors = x if c["symmetric"] else x[:1]
    others = [wb.double(), wa.double()] if c["symmetric"] else [wb.double()]
    loss = regularizer(anchors, wc.double(), others, c["tau"], c["beta"], c["mask"])
    loss.backward()
    losses[name] = {"ua": flat(ua), "ub": flat(ub), "wc": flat(wc), "wa": flat(wa), "wb": flat(wb),
                    "symmetric": c["symmetric"], "temperature": c["tau"], "beta": c["beta"], "masksDiagonal": c["mask"],
                    "loss": float(loss), "gradientA": flat(x[0].grad),
                    "gradientB": flat(x[1].grad) if x[1].grad is not None else [0.0] * (N * D)}
json.dump(losses, open("losses.json", "w"), indent=1)

# One SGHMC run through a tiny backbone: conv3x3 (1 -> 4, padding 1, no bias) -> BN2d with
# batch statistics -> ReLU -> global average pool.
n, h = 3, 6
weight = rand(4, 1, 3, 3) * 0.5
bn_scale, bn_offset = 1 + 0.2 * rand(4), 0.1 * rand(4)
xa, xb = rand(n, 1, h, h), rand(n, 1, h, h)


def backbone(images):
    y = F.conv2d(images, weight.double(), padding=1)
    y = F.batch_norm(y, None, None, bn_scale.double(), bn_offset.double(), training=True, eps=1e-5)
    return F.relu(y).mean(dim=(2, 3))


def energy(images, reference):
    f = F.normalize(backbone(images), dim=1)
    r = F.normalize(reference, dim=1)
    cos = f @ r.T
    return torch.log(1 / (1 + cos ** 2)).sum()


def sghmc(variant, steps, p0, noise, d1=0.1, d2=0.05, d3=0.99):
    with torch.no_grad():
        reference = backbone(xb.double())
    x = xa.double().clone()
    p = p0.double().clone()
    for k in range(steps):
        if variant != "mc":
            xg = x.clone().requires_grad_(True)
            g, = torch.autograd.grad(energy(xg, reference), xg)
            g = g.clamp(-1, 1)
        if variant == "sghmc":
            p = (1 - d1) * p - d2 * g + d3 * noise[k].double()
        elif variant == "hmc":
            p = p - d2 * g
        else:
            p = (1 - d1) * p + d3 * noise[k].double()
        x = x + d2 * p
    return x


p0 = rand(n, 1, h, h)
noise = [rand(n, 1, h, h) for _ in range(3)]
sghmc_cases = {}
for variant, steps in (("sghmc", 1), ("sghmc", 3), ("hmc", 2), ("mc", 2)):
    sghmc_cases[f"{variant}{steps}"] = {"variant": variant, "steps": steps, "views": flat(sghmc(variant, steps, p0, noise))}
xg = xa.double().clone().requires_grad_(True)
with torch.no_grad():
    ref = backbone(xb.double())
e = energy(xg, ref)
grad, = torch.autograd.grad(e, xg)
json.dump({"count": n, "size": h, "convolutionWeight": flat(weight), "batchNormScale": flat(bn_scale),
           "batchNormOffset": flat(bn_offset), "seeds": flat(xa), "viewB": flat(xb),
           "initialMomentum": flat(p0), "stepNoise": [flat(t) for t in noise],
           "energy": float(e), "energyGradient": flat(grad), "cases": sghmc_cases},
          open("sghmc.json", "w"), indent=1)
print("wrote losses.json and sghmc.json")

# The cluster-level objective of Contrastive Clustering, as Li et al.'s ClusterLoss computes
# it (cosine similarity of the columns, cross-entropy with the positive first, entropy term
# log K + sum m log m per view). Drawn after everything above, so the files above keep their
# values; written to cluster.json.
def cluster_loss(la, lb, tau):
    ca, cb = F.softmax(la, dim=1), F.softmax(lb, dim=1)
    k = ca.shape[1]
    entropy = 0
    for c in (ca, cb):
        m = c.sum(0) / c.sum()
        entropy = entropy + math.log(k) + (m * torch.log(m)).sum()
    columns = torch.cat([ca.t(), cb.t()])
    sim = F.cosine_similarity(columns.unsqueeze(1), columns.unsqueeze(0), dim=2) / tau
    total = 2 * k
    positive = torch.cat([torch.diag(sim, k), torch.diag(sim, -k)]).reshape(total, 1)
    mask = torch.ones(total, total, dtype=torch.bool)
    mask.fill_diagonal_(False)
    for i in range(k):
        mask[i, k + i] = False
        mask[k + i, i] = False
    negative = sim[mask].reshape(total, -1)
    logits = torch.cat([positive, negative], dim=1)
    contrast = F.cross_entropy(logits, torch.zeros(total, dtype=torch.long), reduction="sum") / total
    return contrast + entropy


cluster = {}
logits_a, logits_b = 2 * rand(6, 4), 2 * rand(6, 4)
for name, tau in (("clusterTau1", 1.0), ("clusterTau05", 0.5)):
    x = [leaf(logits_a), leaf(logits_b)]
    loss = cluster_loss(x[0], x[1], tau)
    loss.backward()
    cluster[name] = {"logitsA": flat(logits_a), "logitsB": flat(logits_b), "temperature": tau, "loss": float(loss),
                     "gradientA": flat(x[0].grad), "gradientB": flat(x[1].grad)}
json.dump(cluster, open("cluster.json", "w"), indent=1)
print("wrote cluster.json")

# SimSiam (Chen & He 2021, Algorithm 1: D(p, z) = -cos(p, z.detach()), L = D(p1, z2)/2 +
# D(p2, z1)/2) and Barlow Twins (Zbontar et al. 2021, Algorithm 1: z standardised along the
# batch, c = z_a^T z_b / N, L = sum_i (1 - c_ii)^2 + lambda sum_{i != j} c_ij^2, with the
# batch norm of the reference code: affine=False, biased variance, eps 1e-5). Drawn after
# everything above, so the files above keep their values; written to paradigms.json.
def simsiam(pa, pb, za, zb):
    d1 = -F.cosine_similarity(pa, zb.detach(), dim=1, eps=1e-8).mean()
    d2 = -F.cosine_similarity(pb, za.detach(), dim=1, eps=1e-8).mean()
    return d1 / 2 + d2 / 2


def barlow_twins(za, zb, lam):
    n, d = za.shape
    bn = lambda z: F.batch_norm(z, None, None, training=True, eps=1e-5)
    c = bn(za).T @ bn(zb) / n
    on_diag = (torch.diagonal(c) - 1).pow(2).sum()
    off_diag = (c - torch.diag(torch.diagonal(c))).pow(2).sum()
    return on_diag + lam * off_diag


paradigms = {}
pa, pb, za, zb = rand(N, D), rand(N, D), rand(N, D), rand(N, D)
x = [leaf(t) for t in (pa, pb, za, zb)]
loss = simsiam(*x)
loss.backward()
paradigms["simsiam"] = {"predictionA": flat(pa), "predictionB": flat(pb), "projectionA": flat(za),
                        "projectionB": flat(zb), "loss": float(loss), "gradientA": flat(x[0].grad),
                        "gradientB": flat(x[1].grad)}
a, b = rand(6, D), rand(6, D)
for name, lam in (("barlowTwins", 0.0051), ("barlowTwinsHeavy", 0.5)):
    x = [leaf(a), leaf(b)]
    loss = barlow_twins(x[0], x[1], lam)
    loss.backward()
    paradigms[name] = {"a": flat(a), "b": flat(b), "offDiagonalWeight": lam, "loss": float(loss),
                       "gradientA": flat(x[0].grad), "gradientB": flat(x[1].grad)}
json.dump(paradigms, open("paradigms.json", "w"), indent=1)
print("wrote paradigms.json")

# Nearest-neighbour positives (NNCLR, Dwibedi et al. 2021, Eq. 2 symmetrised): each view's
# positive is the row of the support set Q of largest inner product with its normalised
# projection, a constant; L = 1/2 [CE(NN(z_a) z_b^T / tau, diag) + CE(NN(z_b) z_a^T / tau, diag)].
# Drawn after everything above; written to neighbours.json.
def nnclr(a, b, support, tau):
    za, zb = F.normalize(a, dim=1), F.normalize(b, dim=1)
    na = support[(za.detach() @ support.T).argmax(dim=1)]
    nb = support[(zb.detach() @ support.T).argmax(dim=1)]
    target = torch.arange(a.shape[0])
    loss = 0.5 * (F.cross_entropy(na @ zb.T / tau, target) + F.cross_entropy(nb @ za.T / tau, target))
    return loss, (za.detach() @ support.T).argmax(dim=1), (zb.detach() @ support.T).argmax(dim=1)


a, b = rand(N, D), rand(N, D)
support = F.normalize(rand(7, D), dim=1)
neighbours = {"a": flat(a), "b": flat(b), "support": flat(support)}
for name, tau in (("tau01", 0.1), ("tau05", 0.5)):
    x = [leaf(a), leaf(b)]
    loss, nearest_a, nearest_b = nnclr(x[0], x[1], support.double(), tau)
    loss.backward()
    neighbours[name] = {"temperature": tau, "loss": float(loss), "gradientA": flat(x[0].grad),
                        "gradientB": flat(x[1].grad), "nearestA": nearest_a.tolist(), "nearestB": nearest_b.tolist()}
json.dump(neighbours, open("neighbours.json", "w"), indent=1)
print("wrote neighbours.json")
