package cli

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/collector"
)

// deepFlags turn on the deep scan (AMI-008) of scan and gate.
type deepFlags struct {
	deep     bool
	all      bool
	maxBytes int64
}

// defaultDeepMaxBytes is enough for the metadata and target files of a
// typical root volume (a few MiB) with room for large directories, and small
// enough that a scan of many AMIs does not read whole volumes.
const defaultDeepMaxBytes = 1 << 30

// register adds --deep and --deep-max-bytes, and --deep-all when withAll is
// set: scan chooses which AMIs to read (shared and public ones, or all),
// while gate reads every gated AMI the caller owns, so --deep-all would
// change nothing there.
func (d *deepFlags) register(fs *pflag.FlagSet, what string, withAll bool) {
	fs.BoolVar(&d.deep, "deep", false, "also read inside the volumes of "+what+" through the EBS direct APIs, looking for credentials on disk (AMI-008; needs ebs:ListSnapshotBlocks and ebs:GetSnapshotBlock)")
	if withAll {
		fs.BoolVar(&d.all, "deep-all", false, "with --deep, scan every AMI, not only shared and public ones")
	}
	fs.Int64Var(&d.maxBytes, "deep-max-bytes", defaultDeepMaxBytes, "with --deep, the most bytes read from the EBS direct APIs per AMI")
	markReadsAWS(fs, "deep", "reads AWS (the AMIs' volumes, through the EBS direct APIs)")
	markReadsAWS(fs, "deep-max-bytes", "bounds what --deep reads from AWS")
	if withAll {
		markReadsAWS(fs, "deep-all", "chooses which AMIs --deep reads from AWS")
	}
}

func (d *deepFlags) validate() error {
	if d.all && !d.deep {
		return usageError(errors.New("--deep-all goes with --deep"))
	}
	if d.deep && d.maxBytes <= 0 {
		return usageError(errors.New("--deep-max-bytes must be positive"))
	}
	return nil
}

// apply sets the collector's deep scan options.
func (d *deepFlags) apply(o *collector.Options) {
	o.Deep, o.DeepAll, o.DeepMaxBytes = d.deep, d.all, d.maxBytes
}
