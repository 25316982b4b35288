#!/usr/bin/env python3
"""An ERP's side of the inbound interface, as docs/integration.md shows it, against a real
`custody serve`: master data, a work order and expected receipts (a purchase order line and
an ASN) go down through POST /v1/commands:batch with an integration token scoped to exactly
those commands; the dock's receipts against them are accepted or refused as the rules say;
a refused line writes nothing; a resent batch is answered as before and written once; a line
past its date raises its exception.

usage: erp_inbound.py CUSTODY_BINARY
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

CUSTODY = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def custody(*args):
    r = subprocess.run([CUSTODY, *args], capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise SystemExit(f"custody {' '.join(args)} failed: {r.stdout}{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


class Server:
    def __init__(self, url):
        self.url = url

    def call(self, method, path, token, body=None, content_type="application/x-ndjson"):
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def batch(self, token, commands):
        status, text = self.call("POST", "/v1/commands:batch", token,
                                 "".join(json.dumps(c) + "\n" for c in commands))
        lines = [json.loads(l) for l in text.splitlines() if l.strip()]
        return status, lines

    def get(self, path, token):
        status, text = self.call("GET", path, token)
        return status, json.loads(text)


def cmd(type_, command_id, data):
    return {"type": type_, "commandId": command_id, "data": data}


def main():
    tmp = tempfile.mkdtemp(prefix="erp-inbound-")
    ledger = os.path.join(tmp, "plant")
    custody("init", ledger)
    scope = ["material.define", "party.define", "routing.define", "wo.create", "wo.release",
             "receipt.expect", "receipt.cancel", "lot.receive"]
    args = ["token", "create", ledger, "--id", "erp", "--role", "integration",
            "--description", "SAP MM/PP"]
    for c in scope:
        args += ["--command", c]
    erp = custody(*args)["token"]
    auditor = custody("token", "create", ledger, "--id", "audit", "--role", "auditor")["token"]

    serve = subprocess.Popen([CUSTODY, "serve", ledger, "--listen", "127.0.0.1:0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL, text=True)
    try:
        first = json.loads(serve.stdout.readline())
        srv = Server(first["serving"])

        def head():
            status, body = srv.get("/v1/checkpoint", auditor)
            check(status == 200, f"GET /v1/checkpoint: {status}")
            return body["head"]

        # ---- down: master data, an order, expected receipts
        orders = [
            cmd("material.define", "sap:MAT-4711",
                {"material": "romaine", "name": "Romaine hearts", "uom": "kg", "kind": "raw"}),
            cmd("material.define", "sap:MAT-4712",
                {"material": "bowl", "name": "Salad bowl", "uom": "case", "kind": "finished"}),
            cmd("party.define", "sap:VEN-100",
                {"party": "green-farms", "name": "Green Farms", "role": "supplier"}),
            cmd("party.define", "sap:VEN-200",
                {"party": "hill-farms", "name": "Hill Farms", "role": "supplier"}),
            cmd("routing.define", "sap:RTG-4712",
                {"routing": "bowl-r", "material": "bowl",
                 "steps": [{"step": "pack", "workCenter": "pack"}]}),
            cmd("wo.create", "sap:PRD-1000456",
                {"wo": "1000456", "material": "bowl", "qty": 1200, "routing": "bowl-r",
                 "due": "2030-12-03T14:00:00Z"}),
            cmd("wo.release", "sap:PRD-1000456-REL", {"wo": "1000456"}),
            cmd("receipt.expect", "sap:4500012345/10",
                {"receipt": "4500012345/10", "supplier": "green-farms", "material": "romaine",
                 "qty": 1000, "uom": "kg", "expected": "2030-12-03T08:00:00Z", "tolerance": 5,
                 "document": "PO 4500012345"}),
            cmd("receipt.expect", "sap:ASN-88001",
                {"receipt": "ASN-88001", "kind": "asn", "supplier": "green-farms",
                 "material": "romaine", "qty": 500, "uom": "kg",
                 "expected": "2030-12-02T08:00:00Z", "supplierLot": "GF-7781"}),
            # Already late when it arrives: its exception follows within a tick.
            cmd("receipt.expect", "sap:4500012399/10",
                {"receipt": "4500012399/10", "supplier": "hill-farms", "material": "romaine",
                 "qty": 200, "uom": "kg", "expected": "2020-01-01T08:00:00Z"}),
        ]
        status, answers = srv.batch(erp, orders)
        check(status == 200, f"orders batch: HTTP {status}")
        check(len(answers) == len(orders), f"orders batch: {len(answers)} answers")
        check(all(a.get("ok") for a in answers), f"orders batch: {answers}")
        after_orders = head()

        # Sent again (the ERP timed out): each line answers as before, nothing is written.
        status, again = srv.batch(erp, orders)
        check(status == 200 and all(a.get("ok") and a.get("duplicate") for a in again),
              f"resent batch: {again}")
        check([a.get("seq") for a in again] == [a.get("seq") for a in answers],
              "resent batch: the same seqs")
        check(head() == after_orders, "a resent batch wrote records")
        # The same document id with other content is a conflict, not a second line.
        changed = dict(orders[7], data=dict(orders[7]["data"], qty=2000))
        status, conflict = srv.batch(erp, [changed])
        check(conflict[0].get("error", {}).get("code") == "idempotency_conflict",
              f"changed resend: {conflict}")

        # ---- the dock receives against them
        def receive(command_id, lot, qty, receipt, material="romaine", supplier="green-farms",
                    supplier_lot="GF-7781"):
            return cmd("lot.receive", command_id,
                       {"lot": lot, "material": material, "qty": qty, "uom": "kg",
                        "supplier": supplier, "supplierLot": supplier_lot, "receipt": receipt})

        refused = [
            (receive("dock:1", "R-1", 10, "ASN-99999"), "not_found", "data.receipt"),
            (receive("dock:2", "R-2", 1051, "4500012345/10"), "over_receipt", "data.qty"),
            (receive("dock:3", "R-3", 10, "4500012345/10", supplier="hill-farms"),
             "receipt_mismatch", "data.supplier"),
            (receive("dock:4", "R-4", 10, "ASN-88001", supplier_lot="GF-0001"),
             "receipt_mismatch", "data.supplierLot"),
        ]
        before = head()
        status, answers = srv.batch(erp, [c for c, _, _ in refused])
        for (c, code, field), a in zip(refused, answers):
            err = a.get("error") or {}
            check(not a.get("ok") and err.get("code") == code and err.get("field") == field
                  and err.get("message"), f"{c['commandId']}: want {code} {field}, got {a}")
        check(head() == before, "refused receipts wrote records")
        status, body = srv.get("/v1/lots/R-1", erp)
        check(status == 404, f"a refused receipt's lot exists: {status}")

        # Material mismatch: bowl is counted in cases, so it is a case receipt of the wrong material.
        status, answers = srv.batch(erp, [cmd("lot.receive", "dock:5", {
            "lot": "R-5", "material": "bowl", "qty": 10, "uom": "case", "supplier": "green-farms",
            "supplierLot": "GF-7781", "receipt": "ASN-88001"})])
        check(answers[0].get("error", {}).get("code") == "receipt_mismatch"
              and answers[0]["error"].get("field") == "data.material", f"dock:5: {answers}")

        status, answers = srv.batch(erp, [
            receive("dock:10", "R-10", 600, "4500012345/10"),
            receive("dock:11", "R-11", 450, "4500012345/10"),   # 1050: the tolerance's limit
            receive("dock:12", "R-12", 500, "ASN-88001"),
            receive("dock:13", "R-13", 0.001, "4500012345/10"),  # one gram over
        ])
        check([a.get("ok") for a in answers] == [True, True, True, False], f"receipts: {answers}")
        check(answers[3].get("error", {}).get("code") == "over_receipt", f"dock:13: {answers[3]}")

        status, po = srv.get("/v1/receipts/" + urllib.parse.quote("4500012345/10", safe=""), erp)
        check(status == 200, f"GET the PO line: {status}")
        state = po.get("state", {})
        check(state.get("status") == "received" and state.get("received") == 1050
              and state.get("lots") == ["R-10", "R-11"], f"PO line: {state}")
        status, listing = srv.get("/v1/receipts?status=received", erp)
        check(sorted(i["receipt"] for i in listing.get("items", [])) ==
              ["4500012345/10", "ASN-88001"], f"received receipts: {listing}")

        # ---- what the token may not do
        status, answers = srv.batch(erp, [cmd("lot.release", "sap:REL-1", {"lot": "R-10"})])
        check(answers[0].get("error", {}).get("code") == "permission_denied",
              f"lot.release with the ERP's token: {answers}")
        status, answers = srv.batch(erp, [cmd("receipt.late", "sap:LATE-1",
                                             {"receipt": "ASN-88001"})])
        check(answers[0].get("error", {}).get("code") == "permission_denied",
              f"receipt.late with the ERP's token: {answers}")

        # ---- the line that was late on arrival has its exception
        exc = "/v1/exceptions/" + urllib.parse.quote("auto:system:receipt-late:4500012399/10",
                                                    safe="")
        deadline = time.time() + 30
        status = 0
        while time.time() < deadline:
            status, body = srv.get(exc, erp)
            if status == 200:
                break
            time.sleep(0.25)
        check(status == 200, f"the late receipt's exception: {status}")
        if status == 200:
            e = body["state"]
            check(e["category"] == "material" and e["status"] == "open" and
                  "hill-farms" in e["description"], f"late exception: {e}")
        status, late = srv.get("/v1/receipts/" + urllib.parse.quote("4500012399/10", safe=""),
                               erp)
        check(late.get("state", {}).get("late") is True, f"late receipt: {late}")
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()

    if failures:
        print(f"{len(failures)} failed", file=sys.stderr)
        sys.exit(1)
    print("erp inbound: all checks passed")


main()
