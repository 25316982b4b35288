#!/usr/bin/env python3
"""An independent check of custody's Merkle proofs, written from RFC 9162 section 2.1 with
nothing but hashlib: it shares no code with custody.

    rfc9162_check.py CUSTODY_BINARY WORK_DIR

builds a ledger of a generated plant day in several appends with a checkpoint after each,
asks `custody prove` for inclusion proofs of records across the log and for consistency
proofs between every pair of checkpoints, and checks each one:

  - the proof verifies (RFC 9162 2.1.3.2 and 2.1.4.2);
  - its leaf hash is the record hash `custody log` shows, and its root is the root of the
    signed checkpoint it names (the note's third line, base64), for the same tree size;
  - flipping any bit of any path hash, or claiming another leaf index, makes it fail.

Exits 0 when every check holds, 1 with a message otherwise.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(size1, size2, root1, root2, path):
    if size1 > size2:
        return False
    if size1 == size2:
        return not path and root1 == root2
    if size1 == 0:
        return not path and root1 == hashlib.sha256(b"").digest()
    if not path:
        return False
    if size1 & (size1 - 1) == 0:
        path = [root1] + path
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def checkpoint_of(note):
    """(size, root) from a checkpoint note's body; signatures are custody verify's business."""
    lines = note.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


def flipped(path):
    for i in range(len(path)):
        for bit in range(256):
            b = bytearray(path[i])
            b[bit // 8] ^= 1 << (bit % 8)
            yield path[:i] + [bytes(b)] + path[i + 1:]


class Failed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failed(what)


def run(binary, *args, stdin=None):
    out = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        raise Failed(f"custody {' '.join(args)} exited {out.returncode}: {out.stderr}")
    return out.stdout


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ledger = os.path.join(work, "ledger")
    run(binary, "init", ledger, "--import-history")
    commands = run(binary, "gen", "plant", "--days", "1").splitlines(keepends=True)
    # Appends of uneven sizes, a checkpoint after each: trees of many shapes.
    sizes = []
    cuts = [1, 2, 16, 17, 100, 255, 256, 257, 1000, len(commands)]
    done = 0
    for cut in cuts:
        if cut <= done or cut > len(commands):
            continue
        batch = os.path.join(work, "batch.ndjson")
        with open(batch, "w") as f:
            f.writelines(commands[done:cut])
        run(binary, "append", ledger, batch)
        done = cut
        size, _ = checkpoint_of(run(binary, "checkpoint", ledger))
        sizes.append(size)
    expect(len(sizes) >= 8, f"expected several checkpoints, got {sizes}")
    head = sizes[-1]
    hashes = {}
    for line in run(binary, "log", ledger).splitlines():
        rec = json.loads(line)
        hashes[rec["seq"]] = bytes.fromhex(rec["hash"])

    proofs = 0
    seqs = sorted({1, 2, 3, 16, 17, 18, 255, 256, 257, 258, head // 2, head - 1, head})
    for tree in sizes:
        for seq in (s for s in seqs if s <= tree):
            p = json.loads(run(binary, "prove", ledger, "--seq", str(seq), "--tree-size", str(tree)))
            leaf = bytes.fromhex(p["leafHash"])
            root = bytes.fromhex(p["rootHash"])
            path = [bytes.fromhex(h) for h in p["path"]]
            expect(p["leafIndex"] == seq - 1 and p["treeSize"] == tree, f"fields of {p}")
            expect(leaf == hashes[seq], f"leaf hash of seq {seq} is not the logged record hash")
            expect((tree, root) == checkpoint_of(p["checkpoint"]),
                   f"root of tree {tree} is not its checkpoint's")
            expect(verify_inclusion(seq - 1, tree, leaf, path, root),
                   f"inclusion of {seq} in {tree} does not verify")
            for bad in flipped(path):
                expect(not verify_inclusion(seq - 1, tree, leaf, bad, root),
                       f"a flipped bit still verifies ({seq} in {tree})")
            if tree > 1:
                expect(not verify_inclusion(seq % tree, tree, leaf, path, root),
                       f"the proof of {seq} also proves another index")
            proofs += 1
    for i, old in enumerate(sizes):
        for new in sizes[i:]:
            p = json.loads(run(binary, "prove", ledger, "--from", str(old), "--to", str(new)))
            r1 = bytes.fromhex(p["fromRoot"])
            r2 = bytes.fromhex(p["toRoot"])
            path = [bytes.fromhex(h) for h in p["path"]]
            expect((old, r1) == checkpoint_of(p["fromCheckpoint"]), f"from root of {old}")
            expect((new, r2) == checkpoint_of(p["toCheckpoint"]), f"to root of {new}")
            expect(verify_consistency(old, new, r1, r2, path),
                   f"consistency {old} -> {new} does not verify")
            for bad in flipped(path):
                expect(not verify_consistency(old, new, r1, r2, bad),
                       f"a flipped bit still verifies ({old} -> {new})")
            if old != new:
                expect(not verify_consistency(old, new, r2, r2, path) or r1 == r2,
                       f"another old root verifies ({old} -> {new})")
            proofs += 1
    # An audit package of the whole log: every record's hash from its bytes, its proof, the
    # consistency proof and every listed file's SHA-256, again with hashlib alone.
    pkg = os.path.join(work, "package")
    run(binary, "export", ledger, "--all", "--out", pkg)
    with open(os.path.join(pkg, "manifest.json"), "rb") as f:
        manifest = json.loads(f.read())
    for name, digest in manifest["files"].items():
        with open(os.path.join(pkg, name), "rb") as f:
            expect(hashlib.sha256(f.read()).hexdigest() == digest, f"package file {name}")
    tree = manifest["treeSize"]
    with open(os.path.join(pkg, f"checkpoints/{tree}.txt")) as f:
        size, root = checkpoint_of(f.read())
    expect(size == tree, "package checkpoint size")
    with open(os.path.join(pkg, "evidence.ndjson")) as f:
        for line in f:
            ev = json.loads(line)
            leaf = hashlib.sha256(b"\x00" + base64.b64decode(ev["leafBytes"])).digest()
            expect(leaf == hashes[ev["seq"]], f"package leaf of {ev['seq']}")
            path = [bytes.fromhex(h) for h in ev["path"]]
            expect(verify_inclusion(ev["seq"] - 1, tree, leaf, path, root),
                   f"package proof of {ev['seq']}")
            proofs += 1
    with open(os.path.join(pkg, "consistency.json")) as f:
        c = json.load(f)
    expect(verify_consistency(c["fromSize"], c["toSize"], bytes.fromhex(c["fromRoot"]),
                              bytes.fromhex(c["toRoot"]), [bytes.fromhex(h) for h in c["path"]]),
           "package consistency proof")
    print(f"rfc9162_check: {proofs} proofs over checkpoints {sizes} and an audit package "
          "verified independently")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as e:
        print(f"rfc9162_check: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
