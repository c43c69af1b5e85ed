// checkcheckpoint verifies a Sceau checkpoint and its proofs with Go's own
// golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-golang-x-mod-dev), so that the
// test of the format does not rely on Sceau's code. It reads one JSON request on stdin and
// prints "OK <origin> <size>" or "FAIL <reason>" (exit 1).
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type request struct {
	Vkeys     []string `json:"vkeys"`
	Note      string   `json:"note"`
	Inclusion *struct {
		Index    int64    `json:"index"`
		LeafHash string   `json:"leaf_hash"`
		Hashes   []string `json:"hashes"`
	} `json:"inclusion"`
	Consistency *struct {
		OldNote string   `json:"old_note"`
		Hashes  []string `json:"hashes"`
	} `json:"consistency"`
}

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func open(vkeys []string, text string) (string, int64, tlog.Hash) {
	var verifiers []note.Verifier
	for _, vkey := range vkeys {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			fail("verifier key: %v", err)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open([]byte(text), note.VerifierList(verifiers...))
	if err != nil {
		fail("note: %v", err)
	}
	if len(n.Sigs) != len(vkeys) {
		fail("note: %d of %d required signatures", len(n.Sigs), len(vkeys))
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		fail("checkpoint: fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		fail("checkpoint: size %q", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		fail("checkpoint: root hash %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], raw)
	return lines[0], size, root
}

func hashes(hexes []string) []tlog.Hash {
	out := make([]tlog.Hash, len(hexes))
	for i, h := range hexes {
		raw, err := hex.DecodeString(h)
		if err != nil || len(raw) != tlog.HashSize {
			fail("proof hash %d", i)
		}
		copy(out[i][:], raw)
	}
	return out
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail("request: %v", err)
	}
	origin, size, root := open(req.Vkeys, req.Note)
	if req.Inclusion != nil {
		leaf := hashes([]string{req.Inclusion.LeafHash})[0]
		proof := tlog.RecordProof(hashes(req.Inclusion.Hashes))
		if err := tlog.CheckRecord(proof, size, root, req.Inclusion.Index, leaf); err != nil {
			fail("inclusion: %v", err)
		}
	}
	if req.Consistency != nil {
		oldOrigin, oldSize, oldRoot := open(req.Vkeys, req.Consistency.OldNote)
		if oldOrigin != origin {
			fail("consistency: origins differ")
		}
		proof := tlog.TreeProof(hashes(req.Consistency.Hashes))
		if err := tlog.CheckTree(proof, size, root, oldSize, oldRoot); err != nil {
			fail("consistency: %v", err)
		}
	}
	fmt.Printf("OK %s %d\n", origin, size)
}
