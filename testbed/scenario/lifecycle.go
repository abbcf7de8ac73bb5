package scenario

import (
	"strconv"
	"time"

	"github.com/amiaudit/amiaudit/internal/awsid"
	"github.com/amiaudit/amiaudit/testbed/proxy"
)

// Lifecycle state that moto 5.2.1 cannot hold (issue 11). The seeder
// creates what moto can (the AMI, its snapshots, the deregistration), and the
// fault proxy serves the rest in AWS's response shapes (testbed/proxy,
// lifecycle.go): the product reads it through the real SDK like any other
// answer.

// ImageLifecycle is an image's lifecycle state.
type ImageLifecycle struct {
	// Disabled makes the AMI disabled (DisableImage): DescribeImages lists it
	// only with IncludeDisabled, with imageState disabled. AWS removes the
	// launch permissions of a disabled AMI, so it has none here.
	Disabled bool `yaml:"disabled"`
	// DeregistrationProtection is disabled, enabled or enabled-with-cooldown.
	DeregistrationProtection string `yaml:"deregistration_protection"`
	// LastLaunched is DescribeImages' lastLaunchedTime.
	LastLaunched *Time `yaml:"last_launched"`
	// PlatformDetails and UsageOperation are the billing platform
	// (Windows / RunInstances:0002), which only AWS sets.
	PlatformDetails string `yaml:"platform_details"`
	UsageOperation  string `yaml:"usage_operation"`
	// RecycleBin puts a deregistered AMI in the Recycle Bin, as a retention
	// rule does (ListImagesInRecycleBin).
	RecycleBin *RecycleBinSpec `yaml:"recycle_bin"`
}

// RecycleBinSpec is a stay in the Recycle Bin.
type RecycleBinSpec struct {
	// EnterTime defaults to now (the deregistration).
	EnterTime *Time `yaml:"enter_time"`
	// ExitTime is when the resource is deleted for good; it may be in the
	// past to fake a listing read just before the deletion.
	ExitTime Time `yaml:"exit_time"`
}

// LockSpec is a snapshot lock (LockSnapshot).
type LockSpec struct {
	// State is compliance (default), governance, compliance-cooloff or expired.
	State string `yaml:"state"`
	// ExpiresOn is when the lock ends; default now+30d.
	ExpiresOn *Time `yaml:"expires_on"`
}

// CriterionSpec is one Allowed AMIs image criterion.
type CriterionSpec struct {
	// ImageProviders: amazon, aws-marketplace, aws-backup-vault, none, or
	// account names / 12-digit IDs.
	ImageProviders          []string `yaml:"image_providers"`
	MarketplaceProductCodes []string `yaml:"marketplace_product_codes"`
	ImageNames              []string `yaml:"image_names"`
}

var (
	deregistrationProtections = []string{"disabled", "enabled", "enabled-with-cooldown"}
	lockStates                = []string{"compliance", "governance", "compliance-cooloff", "expired"}
	managedBy                 = []string{"account", "declarative-policy"}
	imageProviderWords        = []string{"amazon", "aws-marketplace", "aws-backup-vault", "none"}
)

// lifecycle checks the lifecycle fields of images, snapshots and settings.
func (c *checker) lifecycle() {
	s := c.s
	for i, img := range s.Images {
		p := func(more ...any) []any { return append([]any{"images", i}, more...) }
		if img.Disabled {
			if img.Deregistered {
				c.fail("a deregistered image cannot also be disabled", p("disabled")...)
			}
			if len(img.LaunchPermissions) > 0 {
				c.fail("AWS removes every launch permission of a disabled AMI: give none", p("launch_permissions")...)
			}
		}
		if v := img.DeregistrationProtection; v != "" {
			c.oneOf(v, deregistrationProtections, p("deregistration_protection")...)
			if v != "disabled" && img.Deregistered {
				c.fail("AWS refuses to deregister a protected AMI", p("deregistration_protection")...)
			}
		}
		if img.RecycleBin != nil && !img.Deregistered {
			c.fail("only a deregistered AMI is in the Recycle Bin: add deregistered: true", p("recycle_bin")...)
		}
		if img.RecycleBin != nil && img.RecycleBin.ExitTime.String() == "" {
			c.fail("required: exit_time, when the Recycle Bin deletes the AMI for good (now+7d, or a past time)", p("recycle_bin")...)
		}
		for j, v := range img.Volumes {
			if v.Lock != nil {
				c.lock(v.Lock, p("volumes", j, "lock")...)
			}
		}
	}
	for i, sn := range s.Snapshots {
		if sn.Lock != nil {
			c.lock(sn.Lock, "snapshots", i, "lock")
		}
	}
	for i, st := range s.Settings {
		if st.ManagedBy != nil {
			c.oneOf(*st.ManagedBy, managedBy, "settings", i, "managed_by")
		}
		for j, cr := range st.AllowedImagesCriteria {
			for k, prov := range cr.ImageProviders {
				if !awsid.IsAccountID(prov) && s.account(prov) == nil && s.external(prov) == nil {
					c.oneOf(prov, imageProviderWords, "settings", i, "allowed_images_criteria", j, "image_providers", k)
				}
			}
		}
	}
}

func (c *checker) lock(l *LockSpec, path ...any) {
	if l.State != "" {
		c.oneOf(l.State, lockStates, append(path, "state")...)
	}
}

// proxyLifecycle is the proxy's lifecycle state for the seeded scenario,
// times measured from now.
func (s *Seeded) proxyLifecycle(now time.Time) proxy.Lifecycle {
	var out proxy.Lifecycle
	lock := func(account, region, snap string, l *LockSpec) {
		st := proxy.SnapshotLock{Account: account, Region: region, SnapshotID: snap, State: orDefault(l.State, "compliance"), CreatedOn: now, ExpiresOn: now.Add(30 * 24 * time.Hour)}
		if l.ExpiresOn != nil {
			st.ExpiresOn = l.ExpiresOn.At(now)
		}
		out.Locks = append(out.Locks, st)
	}
	for _, img := range s.s.Images {
		id, account := s.Images[img.Name], s.Accounts[img.Account]
		lc := img.ImageLifecycle
		if lc.Disabled || lc.DeregistrationProtection != "" || lc.LastLaunched != nil || lc.PlatformDetails != "" || lc.UsageOperation != "" {
			st := proxy.ImageState{ImageID: id, Disabled: lc.Disabled, DeregistrationProtection: lc.DeregistrationProtection,
				PlatformDetails: lc.PlatformDetails, UsageOperation: lc.UsageOperation}
			if lc.LastLaunched != nil {
				t := lc.LastLaunched.At(now)
				st.LastLaunchedTime = &t
			}
			out.Images = append(out.Images, st)
		}
		if b := lc.RecycleBin; b != nil {
			enter := now
			if b.EnterTime != nil {
				enter = b.EnterTime.At(now)
			}
			out.RecycleBinImages = append(out.RecycleBinImages, proxy.BinnedImage{Account: account, Region: img.Region, ImageID: id,
				Name: orDefault(img.AMIName, img.Name), Description: img.Description, EnterTime: enter, ExitTime: b.ExitTime.At(now)})
		}
		for j, v := range img.Volumes {
			if v.Lock != nil {
				lock(account, img.Region, s.Snapshots[img.Name+"/"+strconv.Itoa(j)], v.Lock)
			}
		}
	}
	for _, sn := range s.s.Snapshots {
		if sn.Lock != nil {
			lock(s.Accounts[sn.Account], sn.Region, s.Snapshots[sn.Name], sn.Lock)
		}
	}
	return out
}

// criteria resolves account names among the image providers.
func (s *Seeded) criteria(cs []CriterionSpec) []proxy.ImageCriterion {
	var out []proxy.ImageCriterion
	for _, c := range cs {
		pc := proxy.ImageCriterion{MarketplaceProductCodes: c.MarketplaceProductCodes, ImageNames: c.ImageNames}
		for _, p := range c.ImageProviders {
			if id, ok := s.Accounts[p]; ok {
				p = id
			}
			pc.ImageProviders = append(pc.ImageProviders, p)
		}
		out = append(out, pc)
	}
	return out
}
