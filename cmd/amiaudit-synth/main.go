// Command amiaudit-synth writes a synthetic organization — N accounts × R
// regions with realistic proportions of shared, public, encrypted, copied and
// orphaned resources — as a snapshot document, for benchmarks and for trying
// amiaudit at scale without AWS:
//
//	go run ./cmd/amiaudit-synth --accounts 50 --regions 4 --images 100000 --snapshots 300000 --keys 5000 --output big.json.gz
//	amiaudit evaluate big.json.gz --format json --output findings.json
//
// or as a scenario to seed into moto (the test bed), at emulator sizes:
//
//	go run ./cmd/amiaudit-synth --accounts 5 --regions 2 --images 200 --keys 10 --scenario synthetic.yaml
//
// The same flags and seed give the same document.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/amiaudit/amiaudit/internal/atomicfile"
	"github.com/amiaudit/amiaudit/internal/synth"
)

func main() {
	s := synth.Large
	flag.IntVar(&s.Accounts, "accounts", s.Accounts, "accounts")
	flag.IntVar(&s.Regions, "regions", s.Regions, "regions (at most 8)")
	flag.IntVar(&s.Images, "images", s.Images, "AMIs in total")
	flag.IntVar(&s.Snapshots, "snapshots", s.Snapshots, "EBS snapshots in total (image volumes, orphans and backups)")
	flag.IntVar(&s.Keys, "keys", s.Keys, "KMS keys")
	seed := flag.Uint64("seed", s.Seed, "random seed")
	out := flag.String("output", "", "snapshot file to write (.json or .json.gz)")
	flag.StringVar(out, "out", "", "old name of --output")
	scenarioOut := flag.String("scenario", "", "write a seeding scenario (testbed/README.md) instead, for moto: keep it small (a few hundred images)")
	flag.Parse()
	s.Seed = *seed
	if *scenarioOut != "" {
		text := synth.Scenario(s)
		if err := atomicfile.WriteFile(*scenarioOut, func(w io.Writer) error { _, err := io.WriteString(w, text); return err }); err != nil {
			fmt.Fprintln(os.Stderr, "amiaudit-synth:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "wrote %s: %d accounts, %d images\n", *scenarioOut, s.Accounts, s.Images)
		return
	}
	if *out == "" || s.Accounts < 1 || s.Regions < 1 || s.Images < 0 || s.Snapshots < 0 || s.Keys < 0 {
		fmt.Fprintln(os.Stderr, "usage: amiaudit-synth [--accounts N --regions R --images N --snapshots N --keys N --seed S] (--output FILE | --scenario FILE)")
		os.Exit(2)
	}
	doc := synth.Generate(s)
	if err := doc.Normalize(); err != nil {
		fmt.Fprintln(os.Stderr, "amiaudit-synth:", err)
		os.Exit(1)
	}
	err := atomicfile.WriteFile(*out, func(w io.Writer) error { return doc.Encode(w, *out) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "amiaudit-synth:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d accounts, %d regions, %d images, %d snapshots, %d keys\n",
		*out, len(doc.Scope.Accounts), len(doc.Scope.Regions), len(doc.Images), len(doc.Snapshots), len(doc.Keys))
}
