package proxy

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// The EC2 calls that change the account-level settings the proxy serves
// (moto 5.2.1 has none of the Enable/Disable calls, and answering
// GetEbsDefaultKmsKeyId from Config.Settings hides moto's own
// ModifyEbsDefaultKmsKeyId). A change through the proxy overrides
// Config.Settings for its account-region from then on, and, answered 2xx,
// becomes a CloudTrail event like any write (cloudtrail.go).
//
// Shapes (request parameter, answer element, valid values) from the EC2 API
// reference, e.g.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableImageBlockPublicAccess.html
// (ImageBlockPublicAccessState: block-new-sharing; answers
// imageBlockPublicAccessState), API_DisableImageBlockPublicAccess.html
// (answers unblocked), API_EnableSnapshotBlockPublicAccess.html (State:
// block-all-sharing | block-new-sharing; answers state),
// API_DisableSnapshotBlockPublicAccess.html (answers unblocked),
// API_EnableAllowedImagesSettings.html (AllowedImagesSettingsState: enabled |
// audit-mode; answers allowedImagesSettingsState),
// API_DisableAllowedImagesSettings.html (answers disabled),
// API_ModifyEbsDefaultKmsKeyId.html and API_ResetEbsDefaultKmsKeyId.html
// (answer kmsKeyId). AWS takes up to 10 minutes to apply a block public
// access change (GetImageBlockPublicAccessState answers the old state
// meanwhile); the proxy applies it at once.

// settingWrites holds the settings changed through the proxy.
type settingWrites struct {
	mu sync.Mutex
	m  map[trailKey]Setting
}

func (s *settingWrites) get(account, region string) Setting {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[trailKey{account, region}]
}

func (s *settingWrites) update(account, region string, f func(*Setting)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[trailKey]Setting{}
	}
	k := trailKey{account, region}
	v := s.m[k]
	f(&v)
	s.m[k] = v
}

// answerSettingWrite answers the settings-changing EC2 calls.
func (p *Proxy) answerSettingWrite(w http.ResponseWriter, c *Call, r *http.Request, body []byte) bool {
	if c.Service != "ec2" {
		return false
	}
	form := r.URL.Query()
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		if f, err := url.ParseQuery(string(body)); err == nil {
			form = f
		}
	}
	// set validates value (when valid is given), stores it and answers it.
	set := func(param, element, value string, valid []string, field func(*Setting) **string) bool {
		if param != "" {
			value = form.Get(param)
			if !slices.Contains(valid, value) {
				writeErrorMessage(w, c, "InvalidParameterValue", fmt.Sprintf(
					"Value (%s) for parameter %s is invalid. Valid values: %s", value, param, strings.Join(valid, ", ")))
				return true
			}
		}
		p.written.update(c.Account, c.Region, func(s *Setting) { *field(s) = &value })
		writeEC2Fields(w, c.Action, []ec2Field{{Name: element, Value: value}})
		return true
	}
	image := func(s *Setting) **string { return &s.ImageBlockPublicAccess }
	snapshot := func(s *Setting) **string { return &s.SnapshotBlockPublicAccess }
	allowed := func(s *Setting) **string { return &s.AllowedImages }
	ebsKey := func(s *Setting) **string { return &s.EBSDefaultKMSKeyID }
	switch c.Action {
	case "EnableImageBlockPublicAccess":
		return set("ImageBlockPublicAccessState", "imageBlockPublicAccessState", "", []string{"block-new-sharing"}, image)
	case "DisableImageBlockPublicAccess":
		return set("", "imageBlockPublicAccessState", "unblocked", nil, image)
	case "EnableSnapshotBlockPublicAccess":
		return set("State", "state", "", []string{"block-all-sharing", "block-new-sharing"}, snapshot)
	case "DisableSnapshotBlockPublicAccess":
		return set("", "state", "unblocked", nil, snapshot)
	case "EnableAllowedImagesSettings":
		return set("AllowedImagesSettingsState", "allowedImagesSettingsState", "", []string{"enabled", "audit-mode"}, allowed)
	case "DisableAllowedImagesSettings":
		return set("", "allowedImagesSettingsState", "disabled", nil, allowed)
	case "ModifyEbsDefaultKmsKeyId":
		if form.Get("KmsKeyId") == "" {
			writeErrorMessage(w, c, "MissingParameter", "The request must contain the parameter KmsKeyId")
			return true
		}
		return set("", "kmsKeyId", form.Get("KmsKeyId"), nil, ebsKey)
	case "ResetEbsDefaultKmsKeyId":
		return set("", "kmsKeyId", "alias/aws/ebs", nil, ebsKey)
	}
	return false
}
