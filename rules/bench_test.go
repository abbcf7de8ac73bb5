package rules

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amiaudit/amiaudit/internal/gcpolicy"
	"github.com/amiaudit/amiaudit/internal/synth"
	"github.com/amiaudit/amiaudit/snapshot"
)

// BenchmarkEvaluateLarge evaluates every rule over a generated organization of
// 100,000 AMIs, 300,000 snapshots and 5,000 keys, and reports the time to
// decode the snapshot JSON, the time to evaluate it (input preparation
// included), their ratio, and the process's peak RSS over decode + evaluation.
func BenchmarkEvaluateLarge(b *testing.B) {
	benchmarkEvaluate(b, synth.Large)
}

// BenchmarkEvaluateExample is the example organization: the per-run overhead.
func BenchmarkEvaluateExample(b *testing.B) {
	e, err := Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	doc := loadExample(b)
	cfg := exampleConfig(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Evaluate(context.Background(), doc, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkEvaluate(b *testing.B, spec synth.Spec) {
	// As cmd/amiaudit runs (internal/gcpolicy), unless GOGC or GOMEMLIMIT
	// says otherwise.
	defer gcpolicy.Apply().Stop()
	data, err := json.Marshal(synth.Generate(spec))
	if err != nil {
		b.Fatal(err)
	}
	e, err := Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var decodeTotal, evalTotal time.Duration
	var peak int64
	findings := 0
	for b.Loop() {
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		t0 := time.Now()
		doc, err := snapshot.Decode("synthetic.json", data)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		fs, err := e.Evaluate(context.Background(), doc, DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		decodeTotal += t1.Sub(t0)
		evalTotal += t2.Sub(t1)
		findings = len(fs)
		peak = max(peak, peakRSS())
	}
	n := float64(b.N)
	b.ReportMetric(decodeTotal.Seconds()/n, "decode-s")
	b.ReportMetric(evalTotal.Seconds()/n, "eval-s")
	b.ReportMetric(evalTotal.Seconds()/decodeTotal.Seconds(), "eval/decode")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(len(data))/(1<<20), "snapshot-MiB")
	b.ReportMetric(float64(findings), "findings")
}

// resetPeakRSS asks Linux to restart the VmHWM high-water mark.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads VmHWM in bytes (0 where /proc is not there).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
