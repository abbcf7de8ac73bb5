package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/spf13/pflag"

	"github.com/amiaudit/amiaudit/collector"
)

// faultFlags bound how long a run may take and how much failure an
// account-region's endpoint may show before it is given up.
type faultFlags struct {
	maxDuration         time.Duration
	maxEndpointFailures int
	callTimeout         time.Duration
}

// defaultGateMaxDuration is the gate's deadline: a pipeline step that reads
// one AMI takes seconds, and a gate that hangs holds a deployment.
const defaultGateMaxDuration = 5 * time.Minute

// What happens to a run that reaches --max-duration, by command.
const (
	deadlineCollect = "account-regions not read by then are recorded as collection errors (SCAN-001 once evaluated), and what was read is written"
	deadlineScan    = "account-regions not read by then are reported as SCAN-001, and what was read is written and evaluated"
	deadlineGate    = "what was not read by then cannot be judged: the gate reports SCAN-001 and fails closed (exit 3)"
)

// register adds the flags; onDeadline says what the command does with a run
// that reaches --max-duration. A zero maxDuration is no deadline (pflag
// prints a non-zero default itself).
func (f *faultFlags) register(fs *pflag.FlagSet, maxDuration time.Duration, onDeadline string) {
	limit := ""
	if maxDuration == 0 {
		limit = "; default: no limit"
	}
	fs.DurationVar(&f.maxDuration, "max-duration", maxDuration,
		"stop reading AWS after this long (e.g. 45m"+limit+"): "+onDeadline)
	fs.IntVar(&f.maxEndpointFailures, "max-endpoint-failures", collector.DefaultMaxEndpointFailures,
		"abandon an account-region after this many attempts in a row fail at its endpoint (unreachable, timed out, HTTP 5xx; throttling does not count), reporting it as SCAN-001")
	fs.DurationVar(&f.callTimeout, "call-timeout", collector.DefaultCallTimeout,
		"give up one attempt of an AWS call after this long (connect, send, read the answer); the SDK then retries it")
	markReadsAWS(fs, "max-duration", "bounds how long AWS is read")
	markReadsAWS(fs, "max-endpoint-failures", "bounds the failures of AWS endpoints tolerated")
	markReadsAWS(fs, "call-timeout", "bounds each AWS call")
}

func (f *faultFlags) validate() error {
	if f.maxDuration < 0 || f.callTimeout <= 0 || f.maxEndpointFailures < 1 {
		return usageError(errors.New("--max-duration must not be negative; --call-timeout and --max-endpoint-failures must be positive"))
	}
	return nil
}

// apply sets the collector's bounds; the deadline counts from start.
func (f *faultFlags) apply(opts *collector.Options, start time.Time) {
	opts.MaxEndpointFailures = f.maxEndpointFailures
	opts.CallTimeout = f.callTimeout
	if f.maxDuration > 0 {
		opts.Deadline = start.Add(f.maxDuration)
	}
}

// explainAWS turns the AWS SDK's errors about credentials and profiles, which
// arrive as a chain of wrapped messages, into one line that says what is
// wrong and how to fix it. Other errors are returned as they are.
func explainAWS(err error, profile string) error {
	if err == nil {
		return nil
	}
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return fmt.Errorf("AWS profile %q does not exist in the shared config or credentials files; list the profiles with 'aws configure list-profiles', or set AWS_PROFILE / --profile to one of them", missing.Profile)
	}
	var sso *ssocreds.InvalidTokenError
	if errors.As(err, &sso) {
		return fmt.Errorf("the AWS SSO session%s has expired or is invalid: run 'aws sso login%s' and try again", profilePhrase(profile), profileFlag(profile))
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "refresh cached SSO token failed") || strings.Contains(msg, "failed to read cached SSO token"):
		return fmt.Errorf("the AWS SSO session%s has expired or was never started: run 'aws sso login%s' and try again", profilePhrase(profile), profileFlag(profile))
	case strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "failed to retrieve credentials") ||
		strings.Contains(msg, "static credentials are empty") || strings.Contains(msg, "AnonymousCredentials"):
		return errors.New("no AWS credentials found: set AWS_PROFILE (or --profile) to a configured profile (then 'aws sso login' if it uses SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance or task role is available")
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && strings.Contains(msg, "AssumeRole") {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException":
			return fmt.Errorf("the role%s cannot be assumed (AccessDenied: %s): check the profile's role_arn and that the role's trust policy lets the source identity assume it", profilePhrase(profile), ae.ErrorMessage())
		}
	}
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
			return fmt.Errorf("the AWS credentials%s have expired: refresh them (for SSO, 'aws sso login%s'; for keys from 'aws sts', request new ones)", profilePhrase(profile), profileFlag(profile))
		case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch":
			return fmt.Errorf("AWS does not accept the credentials%s (%s): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile's keys", profilePhrase(profile), ae.ErrorCode())
		}
	}
	return err
}

func profilePhrase(profile string) string {
	if profile == "" {
		return ""
	}
	return fmt.Sprintf(" of profile %q", profile)
}

func profileFlag(profile string) string {
	if profile == "" {
		return ""
	}
	return " --profile " + profile
}
