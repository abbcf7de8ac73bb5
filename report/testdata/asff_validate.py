"""Validate ASFF findings (a JSON array on stdin) against the input shape of
Security Hub's BatchImportFindings in botocore's copy of the AWS service model:
required members, types and minimum lengths, as the AWS SDKs check them before
sending. Nothing is sent anywhere."""
import json
import sys

import botocore.session
from botocore.validate import ParamValidator

model = botocore.session.get_session().get_service_model("securityhub")
shape = model.operation_model("BatchImportFindings").input_shape
findings = json.load(sys.stdin)
report = ParamValidator().validate({"Findings": findings}, shape)
if report.has_errors():
    print(report.generate_report())
    sys.exit(1)
print("valid", len(findings))
