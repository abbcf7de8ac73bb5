package gate

import "github.com/amiaudit/amiaudit/snapshot"

// Region is the region of the proposed changes that name none (the AMIs of
// --image, a plan's resources without a region): the one given (--region),
// else the only region of the state snapshot, else the AWS SDK's region
// (AWS_REGION or the profile's region; empty when the SDK's configuration
// could not be loaded:
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html).
// A state snapshot of several regions does not choose one; the result is
// empty when nothing gives a region, and the changes then say so.
func Region(given string, state *snapshot.Document, sdkRegion string) string {
	if given != "" {
		return given
	}
	if state != nil && len(state.Scope.Regions) == 1 {
		return state.Scope.Regions[0]
	}
	return sdkRegion
}
