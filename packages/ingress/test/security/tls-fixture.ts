// A self-signed EC P-256 certificate for hello.example.com (valid until 2126) and its key: the
// benign TLS material the corpus's Secrets hold. Made once with:
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
//     -subj /CN=hello.example.com -addext subjectAltName=DNS:hello.example.com
// Test-only key material: it protects nothing.

export const HELLO_CERT = `-----BEGIN CERTIFICATE-----
MIIBrTCCAVOgAwIBAgIUVtGvCqnB0VpxYzfOZ64VujmVXHkwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRaGVsbG8uZXhhbXBsZS5jb20wIBcNMjYxMTIxMTUxNTU3WhgP
MjEyNjEwMjgxNTE1NTdaMBwxGjAYBgNVBAMMEWhlbGxvLmV4YW1wbGUuY29tMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWzmzSWjKdMr9K6JciESTc+Py5hRqcskz
Uml0hy2DzDPx7qLkPZfBlINLlncwyrhFaF5gbhsI5pR+oDhFM6DQN6NxMG8wHQYD
VR0OBBYEFCR6uUrsbyIppVMhv59vfZH1QtkjMB8GA1UdIwQYMBaAFCR6uUrsbyIp
pVMhv59vfZH1QtkjMA8GA1UdEwEB/wQFMAMBAf8wHAYDVR0RBBUwE4IRaGVsbG8u
ZXhhbXBsZS5jb20wCgYIKoZIzj0EAwIDSAAwRQIhAPXr8aY+4i5KHgOS4ekBChqf
N/l4chMm0Txp6W2ShskPAiBstrYuavuYsJ16ro8UA8/29HV9dyIy1wS8cTM3cQos
4Q==
-----END CERTIFICATE-----
`;

export const HELLO_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgditFz1HtWrSSXy3Y
Pc3Pokx+xrXUjfIBYTcDeX/wa/uhRANCAARbObNJaMp0yv0rolyIRJNz4/LmFGpy
yTNSaXSHLYPMM/HuouQ9l8GUg0uWdzDKuEVoXmBuGwjmlH6gOEUzoNA3
-----END PRIVATE KEY-----
`;
