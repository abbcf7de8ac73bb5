package collector

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/amiaudit/amiaudit/deepscan"
	"github.com/amiaudit/amiaudit/snapshot"
)

// deepWorkers bounds the AMIs deep-scanned at once: each one already has
// several GetSnapshotBlock calls in flight.
const deepWorkers = 2

// deepScans reads inside the volumes of the images chosen by pick through
// the EBS direct APIs (AMI-008) and adds what it read and found to doc. A
// scan that fails is recorded both in its DeepScan entry and as a
// CollectionError of service ebs, so that SCAN-001 reports the gap.
func (c *collector) deepScans(ctx context.Context, doc *snapshot.Document, results []*regionResult, pick func(snapshot.Image) bool) {
	creds := map[string]aws.CredentialsProvider{}
	for _, r := range results {
		creds[r.account+"/"+r.region] = r.creds
	}
	var todo []snapshot.Image
	for _, img := range doc.Images {
		if creds[img.Account+"/"+img.Region] != nil && pick(img) {
			todo = append(todo, img)
		}
	}
	scans := make([]snapshot.DeepScan, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(deepWorkers)
	for i, img := range todo {
		g.Go(func() error {
			scans[i] = c.deepScan(gctx, creds[img.Account+"/"+img.Region], img)
			return nil
		})
	}
	_ = g.Wait()
	doc.DeepScans = append(doc.DeepScans, scans...)
	sort.Slice(doc.DeepScans, func(i, j int) bool {
		a, b := doc.DeepScans[i], doc.DeepScans[j]
		return a.Account+"/"+a.Region+"/"+a.ImageID < b.Account+"/"+b.Region+"/"+b.ImageID
	})
}

func (c *collector) deepScan(ctx context.Context, creds aws.CredentialsProvider, img snapshot.Image) snapshot.DeepScan {
	scan := snapshot.DeepScan{ImageID: img.ID, Account: img.Account, Region: img.Region, Findings: []snapshot.DeepScanFinding{}}
	for _, b := range img.BlockDeviceMappings {
		if b.SnapshotID != "" {
			scan.SnapshotIDs = append(scan.SnapshotIDs, b.SnapshotID)
		}
	}
	client := ebs.NewFromConfig(c.cfg, func(o *ebs.Options) {
		o.Region = img.Region
		o.Credentials = creds
		o.Retryer = c.retryer()
		o.APIOptions = append(o.APIOptions, c.apiOptions(img.Account, img.Region)...)
	})
	c.opts.Log.Info("deep scan", "image", img.ID, "account", img.Account, "region", img.Region, "snapshots", len(scan.SnapshotIDs))
	start := time.Now()
	res, err := deepscan.ScanSnapshots(ctx, client, scan.SnapshotIDs, deepscan.Options{MaxBytes: c.opts.DeepMaxBytes})
	scan.DurationMS = time.Since(start).Milliseconds()
	scan.BytesRead, scan.BlocksFetched, scan.AllocatedBytes = res.BytesRead, res.BlocksFetched, res.AllocatedBytes
	scan.Findings = append(scan.Findings, res.Findings...)
	if err != nil {
		scan.Error = err.Error()
		c.fail(ctx, deepScanError(img, err), err)
	}
	c.opts.Log.Info("deep scan done", "image", img.ID, "bytes_read", scan.BytesRead, "allocated_bytes", scan.AllocatedBytes,
		"findings", len(scan.Findings), "duration", time.Duration(scan.DurationMS)*time.Millisecond, "error", scan.Error)
	return scan
}

// deepScanError names the EBS call that failed, or DeepScan when the image
// itself could not be read (corrupt, over budget, checksum mismatch).
func deepScanError(img snapshot.Image, err error) snapshot.CollectionError {
	e := snapshot.CollectionError{Account: img.Account, Region: img.Region, Service: "ebs", Action: "DeepScan", Resource: img.ID, Code: "DeepScanFailed", Message: err.Error()}
	var se *deepscan.SnapshotError
	if errors.As(err, &se) {
		e.Resource = se.SnapshotID
	}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		e.Action = op.Operation()
		e.Code = errorCode(err)
		e.Message = errorMessage(err)
	}
	switch {
	case errors.Is(err, deepscan.ErrBudget):
		e.Code = "DeepScanBudgetExceeded"
	case errors.Is(err, deepscan.ErrChecksum):
		e.Code = "ChecksumMismatch"
	case errors.Is(err, context.DeadlineExceeded):
		e.Code = "Timeout"
	}
	return e
}

// sharedImage is the default choice of images to deep-scan: those others can
// launch.
func sharedImage(img snapshot.Image) bool {
	return img.Public || len(img.LaunchPermissions) > 0
}
