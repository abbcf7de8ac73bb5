package awslocal

import "testing"

func TestCheckLoopback(t *testing.T) {
	for endpoint, ok := range map[string]bool{
		"http://127.0.0.1:5000":               true,
		"http://127.9.8.7:5000/":              true,
		"http://[::1]:5000":                   true,
		"http://localhost:5000":               true,
		"https://LOCALHOST:5000":              true,
		"https://ec2.us-east-1.amazonaws.com": false,
		"http://10.0.0.1:5000":                false,
		"http://127.0.0.1.nip.io:5000":        false, // resolves to loopback, but is a name
		"http://[::ffff:10.0.0.1]:5000":       false,
		"ftp://127.0.0.1:5000":                false,
		"127.0.0.1:5000":                      false,
		"":                                    false,
	} {
		if err := CheckLoopback(endpoint); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want accepted=%v", endpoint, err, ok)
		}
	}
	if _, err := Config("https://kms.eu-west-1.amazonaws.com", "eu-west-1"); err == nil {
		t.Error("Config accepted a real AWS endpoint")
	}
}
