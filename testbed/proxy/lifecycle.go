package proxy

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Lifecycle state moto 5.2.1 cannot hold (issue 11): disabled AMIs,
// deregistration protection, last launch times and billing platforms of
// AMIs; the Recycle Bin; snapshot locks. The proxy serves it in AWS's
// response shapes (EC2 API reference, checked against the SDK's
// deserializers), so the real SDK parses it:
//
//   - DescribeImages: moto's answer, with the fields of Images set on the
//     AMIs they name (imageState, deregistrationProtection, lastLaunchedTime,
//     platformDetails, usageOperation); a disabled AMI is left out unless the
//     request sets IncludeDisabled, as AWS does
//     (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html).
//   - ListImagesInRecycleBin
//     (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ListImagesInRecycleBin.html),
//     ListSnapshotsInRecycleBin
//     (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ListSnapshotsInRecycleBin.html),
//     DescribeLockedSnapshots
//     (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html):
//     answered from the lists below, per account and region, honouring the
//     ImageId.N / SnapshotId.N filters.
type Lifecycle struct {
	Images              []ImageState
	RecycleBinImages    []BinnedImage
	RecycleBinSnapshots []BinnedSnapshot
	Locks               []SnapshotLock
}

// ImageState overrides what DescribeImages says of one AMI. Empty fields
// leave moto's answer alone.
type ImageState struct {
	ImageID string
	// Disabled makes imageState "disabled" (DisableImage).
	Disabled bool
	// DeregistrationProtection: disabled | enabled | enabled-with-cooldown.
	DeregistrationProtection string
	// LastLaunchedTime, when set, is answered as lastLaunchedTime.
	LastLaunchedTime *time.Time
	// PlatformDetails and UsageOperation, e.g. "Windows" and "RunInstances:0002".
	PlatformDetails, UsageOperation string
}

// BinnedImage is an AMI in the Recycle Bin of Account in Region.
type BinnedImage struct {
	Account, Region, ImageID, Name, Description string
	EnterTime, ExitTime                         time.Time
}

// BinnedSnapshot is a snapshot in the Recycle Bin of Account in Region.
type BinnedSnapshot struct {
	Account, Region, SnapshotID, Description, VolumeID string
	EnterTime, ExitTime                                time.Time
}

// SnapshotLock is a snapshot lock (LockSnapshot) of Account in Region.
type SnapshotLock struct {
	Account, Region, SnapshotID string
	// State: compliance | governance | compliance-cooloff | expired.
	State                string
	CreatedOn, ExpiresOn time.Time
}

func (l Lifecycle) validate() error {
	for _, i := range l.Images {
		if !strings.HasPrefix(i.ImageID, "ami-") {
			return fmt.Errorf("lifecycle image %q: want an AMI ID", i.ImageID)
		}
		if p := i.DeregistrationProtection; p != "" && !slices.Contains([]string{"disabled", "enabled", "enabled-with-cooldown"}, p) {
			return fmt.Errorf("lifecycle image %s: deregistration protection %q: want disabled, enabled or enabled-with-cooldown", i.ImageID, p)
		}
	}
	for _, k := range l.Locks {
		if !slices.Contains([]string{"compliance", "governance", "compliance-cooloff", "expired"}, k.State) {
			return fmt.Errorf("lock of %s: state %q: want compliance, governance, compliance-cooloff or expired", k.SnapshotID, k.State)
		}
	}
	return nil
}

// awsTime is how EC2 writes timestamps.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// node is a generic XML element: enough to read moto's answers and write
// EC2's (which never mix text and elements).
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []*node    `xml:",any"`
	Text    string     `xml:",chardata"`
}

func el(name, text string, children ...*node) *node {
	return &node{XMLName: xml.Name{Local: name}, Text: text, Nodes: children}
}

func (n *node) child(name string) *node {
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			return c
		}
	}
	return nil
}

// set replaces the text of child name, or appends the child.
func (n *node) set(name, text string) {
	if c := n.child(name); c != nil {
		c.Text = text
		return
	}
	n.Nodes = append(n.Nodes, el(name, text))
}

// plain drops the namespaces the decoder resolved (the root keeps its xmlns
// attribute; with them the encoder would write it twice and reset it below)
// and whitespace-only text around elements.
func (n *node) plain() {
	n.XMLName.Space = ""
	for _, c := range n.Nodes {
		c.plain()
	}
	if len(n.Nodes) > 0 {
		n.Text = ""
	}
}

// answerLifecycle answers the Recycle Bin and snapshot lock calls.
func (p *Proxy) answerLifecycle(w http.ResponseWriter, c *Call, form url.Values) bool {
	if c.Service != "ec2" {
		return false
	}
	lc := p.cfg.Lifecycle
	var set *node
	switch c.Action {
	case "ListImagesInRecycleBin":
		want := listParam(form, "ImageId")
		set = el("imageSet", "")
		for _, b := range lc.RecycleBinImages {
			if !listed(c, want, b.Account, b.Region, b.ImageID) {
				continue
			}
			set.Nodes = append(set.Nodes, el("item", "",
				el("imageId", b.ImageID), el("name", b.Name), el("description", b.Description),
				el("recycleBinEnterTime", awsTime(b.EnterTime)), el("recycleBinExitTime", awsTime(b.ExitTime))))
		}
	case "ListSnapshotsInRecycleBin":
		want := listParam(form, "SnapshotId")
		set = el("snapshotSet", "")
		for _, b := range lc.RecycleBinSnapshots {
			if !listed(c, want, b.Account, b.Region, b.SnapshotID) {
				continue
			}
			set.Nodes = append(set.Nodes, el("item", "",
				el("snapshotId", b.SnapshotID), el("description", b.Description), el("volumeId", b.VolumeID),
				el("recycleBinEnterTime", awsTime(b.EnterTime)), el("recycleBinExitTime", awsTime(b.ExitTime))))
		}
	case "DescribeLockedSnapshots":
		want := listParam(form, "SnapshotId")
		set = el("snapshotSet", "")
		for _, l := range lc.Locks {
			if !listed(c, want, l.Account, l.Region, l.SnapshotID) {
				continue
			}
			set.Nodes = append(set.Nodes, el("item", "",
				el("ownerId", l.Account), el("snapshotId", l.SnapshotID), el("lockState", l.State),
				el("lockCreatedOn", awsTime(l.CreatedOn)), el("lockDurationStartTime", awsTime(l.CreatedOn)),
				el("lockExpiresOn", awsTime(l.ExpiresOn)),
				el("lockDuration", strconv.Itoa(int(l.ExpiresOn.Sub(l.CreatedOn).Hours()/24)))))
		}
	default:
		return false
	}
	id := requestID()
	w.Header().Set("X-Amzn-Requestid", id)
	root := el(c.Action+"Response", "", el("requestId", id), set)
	root.Attrs = []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ec2Namespace}}
	writeXML(w, http.StatusOK, root)
	return true
}

// listed reports whether an entry of the account-region id belongs in the
// answer to c: it is in the caller's account-region and, when the call names
// IDs (want), one of them.
func listed(c *Call, want []string, account, region, id string) bool {
	return account == c.Account && region == c.Region && (len(want) == 0 || slices.Contains(want, id))
}

// listParam reads a query-protocol list (ImageId.1, ImageId.2, …).
func listParam(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v := form.Get(name + "." + strconv.Itoa(i))
		if v == "" {
			return out
		}
		out = append(out, v)
	}
}

// rewriteImages is the ModifyResponse step that applies Lifecycle.Images to
// moto's DescribeImages answer.
func (p *Proxy) rewriteImages(resp *http.Response) error {
	c, _ := resp.Request.Context().Value(callKey{}).(*Call)
	if c == nil || c.Service != "ec2" || c.Action != "DescribeImages" || resp.StatusCode != http.StatusOK || len(p.cfg.Lifecycle.Images) == 0 {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("proxy: DescribeImages answer: %w", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return fmt.Errorf("proxy: DescribeImages answer: %w", err)
		}
		resp.Header.Del("Content-Encoding")
	}
	var root node
	if err := xml.Unmarshal(body, &root); err != nil {
		return fmt.Errorf("proxy: DescribeImages answer is not XML: %w", err)
	}
	root.plain()
	if set := root.child("imagesSet"); set != nil {
		kept := set.Nodes[:0]
		for _, item := range set.Nodes {
			st, ok := p.imageState(item)
			if ok && st.Disabled {
				if !c.includeDisabled {
					continue
				}
				item.set("imageState", "disabled")
			}
			if ok {
				if st.DeregistrationProtection != "" {
					item.set("deregistrationProtection", st.DeregistrationProtection)
				}
				if st.LastLaunchedTime != nil {
					item.set("lastLaunchedTime", awsTime(*st.LastLaunchedTime))
				}
				if st.PlatformDetails != "" {
					item.set("platformDetails", st.PlatformDetails)
				}
				if st.UsageOperation != "" {
					item.set("usageOperation", st.UsageOperation)
				}
			}
			kept = append(kept, item)
		}
		set.Nodes = kept
	}
	out, err := xml.Marshal(&root)
	if err != nil {
		return err
	}
	out = append([]byte(xml.Header), out...)
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

func (p *Proxy) imageState(item *node) (ImageState, bool) {
	id := item.child("imageId")
	if id == nil {
		return ImageState{}, false
	}
	for _, st := range p.cfg.Lifecycle.Images {
		if st.ImageID == id.Text {
			return st, true
		}
	}
	return ImageState{}, false
}
