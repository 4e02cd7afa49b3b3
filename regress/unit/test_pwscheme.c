/*
 * Copyright (c) 2025-2026 The popd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * test_pwscheme.c -- every kind of stored hash popd reads (pwscheme.c)
 * checked by authpop's code (scheme.c) against hashes the real programs
 * made: Dovecot 2.3's "doveadm pw -s SCHEME -p 'correct horse'" (and a
 * password of 70 bytes, longer than HMAC-SHA1's block), OpenSSL's
 * "passwd -1" for a bare md5crypt, libargon2's argon2_hash for an
 * argon2id of two lanes (PHP's password_hash may make those).  Each
 * matches its password and no other; what is weak, plaintext or
 * malformed is told apart; every truncation of every vector is refused
 * or fails, never matches.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pwscheme.h"
#include "unit.h"

#define PASS	"correct horse"
#define LONG	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct {
	const char	*hash;
	const char	*pass;
	const char	*name;
	int		 weak;
} good[] = {
	{ "{CRYPT}$2y$05$g1iRNyb4EEXjJWVHLfGab.4LcMqCsKc8dLW2JjpRDoiEqFhRz1NW6",
	    PASS, "CRYPT", 0 },
	{ "{MD5-CRYPT}$1$I0VkoW2P$FKi1up3C6qXqKTXojo6hi/", PASS, "MD5-CRYPT",
	    1 },
	{ "{SHA256-CRYPT}$5$UXNNEtNkCFAHIHSC$TIysTlWJdho.C0vv7EHBMmlTTtve8pqC83G/6VW2ep0",
	    PASS, "SHA256-CRYPT", 0 },
	{ "{SHA512-CRYPT}$6$YL8aphBtxOMmCczQ$bdcXuJ5PDyCepgiPLNYIA2t1nbqI8OXHVN6YwpaiwELbZOKajSmQg.wNVCRR/9C2HfAaDl0Rt4DPXl8p237fv.",
	    PASS, "SHA512-CRYPT", 0 },
	{ "{BLF-CRYPT}$2y$05$iGGbmpxKWxCwy4K085AAKe6/SHdvkvrCsx2y29vbPWQohjq4XbEDm",
	    PASS, "BLF-CRYPT", 0 },
	{ "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$rnwSXGeG3KIzMbR5oPD+fw$byOaUQzkNgc+aQY3pNSGnJ6nsn4cY9xmPYIoCpPlG1o",
	    PASS, "ARGON2I", 0 },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	    PASS, "ARGON2ID", 0 },
	{ "$argon2id$v=19$m=4096,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$Jyzx6by67FiLx2uJbCjdvoDYHWjzeahLax7DC0jKcHw",
	    PASS, "argon2id", 0 },
	{ "$argon2i$v=19$m=32768,t=4,p=1$rnwSXGeG3KIzMbR5oPD+fw$byOaUQzkNgc+aQY3pNSGnJ6nsn4cY9xmPYIoCpPlG1o",
	    PASS, "argon2i", 0 },
	/* Salted fast digests: as weak as {SHA}. */
	{ "{SSHA}YvGSG/3rhZ5sWKA1juFckPxEPGA3Tyt/", PASS, "SSHA", 1 },
	{ "{SSHA256}r4t1J896RxNuiDkVHAy6Gdfc6+LH5M79Lwo286h6NQuBspu7", PASS,
	    "SSHA256", 1 },
	{ "{SSHA512}SugW8aQ1RrAFypW+2Yf+E+3Lmg39jv9zPmRW4PoVFEQvyOH4CZaHDY3kRuZLpUL6yCAShDLiBhp/CEtdExWnZseEplY=",
	    PASS, "SSHA512", 1 },
	{ "{SSHA512.HEX}a790de95008c00f4663801047737d864b0d6c944904715b52b188b180531e0ca3dea2c69a837ade88baaa67722a8d5ff6163cab1e87e92e94890d51a92f66eeea966331a",
	    PASS, "SSHA512", 1 },
	{ "{SSHA256.HEX}a28f8393a662b6a74a1ec9306a0f754bfc552ea55c4888da07c2a56a9957e89dc53aad32",
	    PASS, "SSHA256", 1 },
	{ "{SSHA512}nEq3AGnT8CFcwt/lqI5yKmkHzDz3x/RMj4zeSjO/KNXVwzy3sX4K2P70VugnlVQjEjTr5gPPPzWafMgyJ8ftGanROX0=",
	    LONG, "SSHA512", 1 },
	{ "{PBKDF2}$1$a38mcM0P4P/LEh9P$5000$ba978979279e19828713958c010be927c628e6df",
	    PASS, "PBKDF2", 0 },
	{ "{PBKDF2}$1$R6/kbX3fEn/R.tN5$5000$6e5742e58ad2da7b47fd014b3e0d750e701a31ad",
	    LONG, "PBKDF2", 0 },
	{ "{MD5}$1$K//26UOw$Mfzr0mDCJuHlxFUGsYYGj.", PASS, "MD5", 1 },
	{ "{PLAIN-MD5}3cb4e732631f47e6eb961f34554b7cde", PASS, "PLAIN-MD5",
	    1 },
	{ "{MD5}3cb4e732631f47e6eb961f34554b7cde", PASS, "MD5", 1 },
	{ "{LDAP-MD5}PLTnMmMfR+brlh80VUt83g==", PASS, "LDAP-MD5", 1 },
	{ "{SMD5}qopOaQXMiEPHoin8uZBNzDwqBHg=", PASS, "SMD5", 1 },
	{ "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=", PASS, "SHA", 1 },
	{ "{sha}L55TUjtiq8FBorTWAZ0jy6g129A=", PASS, "SHA", 1 },
	{ "{SHA256}QQTTb42iwlQ0n4WDZ5Pr4CngyVcGOjTJHC6SAxh7VjE=", PASS,
	    "SHA256", 1 },
	{ "{SHA512}VraY3v7bWkNbY0r+MyC7rz/c2SC2xQOkRvx7endrKY1HnRumqLYXgI6wv1ec6aldZoNHvKtxSQhayTyyeZUZew==",
	    PASS, "SHA512", 1 },
	{ "{SHA512.HEX}56b698defedb5a435b634afe3320bbaf3fdcd920b6c503a446fc7b7a776b298d479d1ba6a8b617808eb0bf579ce9a95d668347bcab7149085ac93cb27995197b",
	    PASS, "SHA512", 1 },
	{ "$1$abcdefgh$y6iHhJNbuC0xpbk0w9pm80", PASS, "md5crypt", 1 },
	/* doveadm pw -s CRAM-MD5, -s HMAC-MD5 (Dovecot 2.3). */
	{ "{CRAM-MD5}38b57fd1a0c4b46c814aa05f20318edd71c455380655f2c0ac35c5b359528d29",
	    PASS, "CRAM-MD5", 1 },
	{ "{HMAC-MD5}38b57fd1a0c4b46c814aa05f20318edd71c455380655f2c0ac35c5b359528d29",
	    PASS, "HMAC-MD5", 1 },
	{ "{CRAM-MD5}8103bb3a2a4b96a9ca9cce4efecc8d22ebe7163dff7401afb5aa16d4edcf9f1f",
	    LONG, "CRAM-MD5", 1 },
	/* doveadm pw -s SCRAM-SHA-1, -256, PLAIN-MD4, DES-CRYPT (2.3.19). */
	{ "{SCRAM-SHA-1}4096,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	    PASS, "SCRAM-SHA-1", 1 },
	{ "{SCRAM-SHA-1}4096,ZAM+q8ZB6x4531MRCPyqEw==,+9PXoLslLc/26XLQEQChXfHaRz8=,mYohFIJu/eRQUXYOME+JDb1sp80=",
	    LONG, "SCRAM-SHA-1", 1 },
	{ "{SCRAM-SHA-256}4096,TY+xrMEzPUBsHZFdTOmAhQ==,UTF30j3lAcikhnGT16i7VKFALdeiaLx2/RHjYhdObXs=,YGOhcVbI3h0tu6pSuWB6GQ1mHw5iEnqNY0lMGTF6n6M=",
	    PASS, "SCRAM-SHA-256", 1 },
	{ "{SCRAM-SHA-256}4096,obtITtQR5rJsmuIve81VzQ==,xU8pUwcOMTeK0vRgnrpTGauLUh8+mZiaVgPQYpkgEEs=,jEdx5941M5L/J/kBwzF8CJaYOn8FuIB1mcSKxVtRcrw=",
	    LONG, "SCRAM-SHA-256", 1 },
	{ "{PLAIN-MD4}b4fe5d2ad49f136f957a7a6b1c029cd2", PASS, "PLAIN-MD4",
	    1 },
	{ "{PLAIN-MD4}84c1a6a379ead788b7832b658ce73da8", "p\xc3\xa4ssw\xc3\xb6rd",
	    "PLAIN-MD4", 1 },
	/* DES: 8 characters of password at most, so a short one here. */
	{ "{DES-CRYPT}y/9DsvZ2IM7Kg", "horse", "DES-CRYPT", 1 },
	{ "{CRYPT}y/9DsvZ2IM7Kg", "horse", "CRYPT (DES)", 1 },
	/*
	 * NTLM, which Dovecot 2.3 no longer makes: MD4 of the UTF-16LE
	 * ("iconv -t UTF-16LE | openssl dgst -md4 -provider legacy").
	 */
	{ "{NTLM}cfc43211ba8dc470832267827cac1407", PASS, "NTLM", 1 },
	{ "{NTLM}0553152250ac01adb4213cb9938663e4", "p\xc3\xa4ssw\xc3\xb6rd",
	    "NTLM", 1 },
	{ "{NTLM}8846f7eaee8fb117ad06bdd830b7586c", "password", "NTLM", 1 },
};

/* doveadm pw -s DIGEST-MD5 -u USER: MD5(user:realm:pass). */
static const struct {
	const char	*hash;
	const char	*user;
} digestmd5[] = {
	{ "{DIGEST-MD5}23e6d420d3a86675c20e2f70613a0506", "alice" },
	{ "{DIGEST-MD5}61249fae4f54de6c481fcb1a75f10acf", "alice@example.org" },
	{ "{DIGEST-MD5}0722e96501482915132d996076fc6938",
	    "bob@example.org@corp" },
};

/* Never read: the password in clear, or a secret as good as it. */
static const struct {
	const char	*hash;
	int		 reset;
} plain[] = {
	{ "{PLAIN}correct horse", 0 },
	{ "{CLEAR}correct horse", 0 },
	{ "{CLEARTEXT}correct horse", 0 },
	{ "{PLAIN-TRUNC}correct horse", 1 },
	{ "{LANMAN}0a146d5420bd13fb2f0266f3affd2215", 1 },
	{ "{RPA}0a146d5420bd13fb2f0266f3affd2215", 1 },
};

/* Malformed, or of no kind popd reads. */
static const char *bad[] = {
	"",
	"{",
	/* SHA-crypt cut short, or a setting: a check that never matches. */
	"{SHA512-CRYPT}$6$rounds=5000$trunc",
	"$6$abcdefgh$",
	"$6$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1=",
	"$5$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhx",
	"$6$abcdefghijklmnopq$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	"$6$abc!$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	/* Rounds in digits alone, 1000 to 999999999, as libxcrypt. */
	"$6$rounds=+5000$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	"$6$rounds= 5000$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	"$6$rounds=-1$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	"$6$rounds=05000$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	"$6$rounds=999$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	"$6$rounds=1000000000$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	"{SHA256-CRYPT}$5$rounds=99999999999999999999999$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClh",
	"{}",
	"{SSHA512",
	"{NOSUCH}abc",
	"eDhzzDy5lk14Q",		/* DES, but only under {CRYPT} */
	"{DES-CRYPT}y/9DsvZ2IM7K",
	"{DES-CRYPT}y/9DsvZ2IM7Kh",	/* 6 bits in the last */
	"{DES-CRYPT}y/9DsvZ2IM7K!",
	"{NTLM}cfc43211ba8dc470832267827cac140",
	"{PLAIN-MD4}b4fe5d2ad49f136f957a7a6b1c029cd",
	"{SCRAM-SHA-1}4096,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=",
	"{SCRAM-SHA-1}4096,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=,",
	"{SCRAM-SHA-1}0,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	"{SCRAM-SHA-1}4096,,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	"{SCRAM-SHA-1}4096,69rWaFNrDZw2WPzJjvFxvQ=,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	"{SCRAM-SHA-256}4096,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	"{SCRAM-SHA-1.HEX}4096,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	"{SCRAM-SHA-1}4096$69rWaFNrDZw2WPzJjvFxvQ==$pFBLYAYF61GCto5Xu5tFjV0SJ6k=$XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	"{SSHA}",
	"{SSHA}YvGSG/3rhZ5sWKA1juFckPxEPGA3Tyt",		/* not padded */
	"{SSHA}YvGSG/3rhZ5sWKA1juFckPxEPGA3Tyt!",
	"{SSHA}L55TUjtiq8FBorTWAZ0jy6g129A=",	/* no salt */
	"{SSHA.HEX}2f9e53523b62abc141a2b4d6019d23cba835dbd0",	/* no salt */
	"{SSHA.XYZ}YvGSG/3rhZ5sWKA1juFckPxEPGA3Tyt/",
	"{SHA}L55TUjtiq8FBorTWAZ0jy6g129A",
	"{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=AAAA",
	"{SHA.HEX}L55TUjtiq8FBorTWAZ0jy6g129A=",
	"{PLAIN-MD5}3cb4e732631f47e6eb961f34554b7cd",
	"{PLAIN-MD5}3cb4e732631f47e6eb961f34554b7cdg",
	"{PBKDF2}$1$a38mcM0P4P/LEh9P$5000$ba978979279e19828713958c010be927c628e6d",
	"{PBKDF2}$1$a38mcM0P4P/LEh9P$$ba978979279e19828713958c010be927c628e6df",
	"{PBKDF2}$1$$5000$ba978979279e19828713958c010be927c628e6df",
	"{PBKDF2}$2$a38mcM0P4P/LEh9P$5000$ba978979279e19828713958c010be927c628e6df",
	"{PBKDF2}$1$a38mcM0P4P/LEh9P$0$ba978979279e19828713958c010be927c628e6df",
	"{PBKDF2}$1$a38mcM0P4P/LEh9P$99999999999$ba978979279e19828713958c010be927c628e6df",
	"{ARGON2ID}$argon2i$v=19$m=32768,t=4,p=1$rnwSXGeG3KIzMbR5oPD+fw$byOaUQzkNgc+aQY3pNSGnJ6nsn4cY9xmPYIoCpPlG1o",
	"$argon2id$v=19$m=999999999,t=3,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	"$argon2id$v=19$m=65536,t=0,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	"$argon2id$v=19$m=65536,t=3,p=1$FnAOyTzKoRT7D+Vq7toqgw$",
	"$argon2d$v=19$m=65536,t=3,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	"{BLF-CRYPT}$2y$05$iGGbmpxKWxCwy4K085AAKe6/SHdvkvrCsx2y29vbPWQohjq4XbED",
	"$1$abcdefghi$y6iHhJNbuC0xpbk0w9pm80",
	"$1$abcdefgh$y6iHhJNbuC0xpbk0w9pm8",
	"$y$$abcdefghijklmnop$0Hi8KsZH/hAMRN9Bam6ce3nmi5QAIz3R/KeaXG/c7p9",
	"$y$j9$abcdefghijklmnop$0Hi8KsZH/hAMRN9Bam6ce3nmi5QAIz3R/KeaXG/c7p9",
	"$y$j9T!$abcdefghijklmnop$0Hi8KsZH/hAMRN9Bam6ce3nmi5QAIz3R/KeaXG/c7p9",
	"$y$j9T3.$abcdefghijklmnop$0Hi8KsZH/hAMRN9Bam6ce3nmi5QAIz3R/KeaXG/c7p9",
	"{CRAM-MD5}38b57fd1a0c4b46c814aa05f20318edd71c455380655f2c0ac35c5b359528d",
	"{CRAM-MD5}38b57fd1a0c4b46c814aa05f20318edd71c455380655f2c0ac35c5b359528d2g",
	"{DIGEST-MD5}23e6d420d3a86675c20e2f70613a05",
};

/*
 * Kinds popd does not read at all, as Dovecot writes them ("doveadm pw
 * -s SCHEME"; {OTP} and {SKEY} made up to its layout): refused with
 * what to do, which is a new password (issue 70).
 */
static const char *const unread[] = {
	"{OTP}md5 99 seed 5d1a1d2e3f4a5b6c",
	"{SKEY}md4 99 seed 5d1a1d2e3f4a5b6c",
	"{sha512-crypt}$6$rounds=5000$trunc",
};

/* Passwords in clear shaped like a hash: never shown, whatever the shape. */
static const char *const shaped[][2] = {
	{ "{HUNTER2-2024}", "HUNTER2" },
	{ "{NOSUCH}abc", "NOSUCH" },
	{ "{SHA512-CRYPTX}x", "CRYPTX" },
	{ "{CRYPT.HUNTER2}", "HUNTER2" },
};

/*
 * Each kind at its ceiling (pwscheme.h), taken, and just over it,
 * refused as costly: parsed, never checked, and named as such.  Only
 * their form matters here: none is ever run.
 */
static const struct {
	const char	*hash;
	int		 costly;
} ceiling[] = {
	{ "$2b$14$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234", 0 },
	{ "$2b$15$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234", 1 },
	{ "{BLF-CRYPT}$2y$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	    1 },
	{ "$6$rounds=2000000$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	    0 },
	{ "$6$rounds=2000001$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	    1 },
	{ "$6$rounds=999999999$abcdefgh$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	    1 },
	/* 128 MiB, then with t = 1, with p = 2: at 256 MiB. */
	{ "$y$jCT$abcdefghijklmnop$x", 0 },
	{ "$y$jCT/.$abcdefghijklmnop$ArAbmwu1iZ75V7rWx6OoclGzDtVm2f/eZo5dtsKVrq4",
	    0 },
	{ "$y$jCT..$abcdefghijklmnop$abfofe0acAP8WjHXJTHtr2AYsCEeXNX.u8uWSWy8hK6",
	    0 },
	{ "$y$jDT$abcdefghijklmnop$x", 0 },
	{ "$y$jDT/.$abcdefghijklmnop$x", 1 },
	{ "$y$jET$abcdefghijklmnop$x", 1 },
	{ "$y$jGT$abcdefghijklmnop$x", 1 },
	{ "$argon2id$v=19$m=262144,t=1,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	    0 },
	{ "$argon2id$v=19$m=65536,t=4,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	    0 },
	{ "$argon2id$v=19$m=65536,t=5,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	    1 },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=1000,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	    1 },
	{ "$argon2i$v=19$m=99999999,t=3,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	    1 },
	{ "{PBKDF2}$1$a38mcM0P4P/LEh9P$2000000$ba978979279e19828713958c010be927c628e6df",
	    0 },
	{ "{PBKDF2}$1$a38mcM0P4P/LEh9P$2000001$ba978979279e19828713958c010be927c628e6df",
	    1 },
	{ "{PBKDF2}$1$a38mcM0P4P/LEh9P$10000000$ba978979279e19828713958c010be927c628e6df",
	    1 },
};

/* SCRAM's rounds: under PBKDF2's ceiling, costly over it. */
static const struct {
	const char	*hash;
	int		 costly;
} scramcost[] = {
	{ "{SCRAM-SHA-1}2000000,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	    0 },
	{ "{SCRAM-SHA-1}2000001,69rWaFNrDZw2WPzJjvFxvQ==,pFBLYAYF61GCto5Xu5tFjV0SJ6k=,XRLhqRRbBQlO1YHF57zNuU6nBJM=",
	    1 },
	{ "{SCRAM-SHA-256}99999999,TY+xrMEzPUBsHZFdTOmAhQ==,UTF30j3lAcikhnGT16i7VKFALdeiaLx2/RHjYhdObXs=,YGOhcVbI3h0tu6pSuWB6GQ1mHw5iEnqNY0lMGTF6n6M=",
	    1 },
};

int
main(void)
{
	struct pwhash	 ph;
	const char	*kind;
	char		 why[256], buf[512], k[64];
	size_t		 i, n;
	int		 r;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		r = pwscheme_check(good[i].pass, good[i].hash);
		CHECK(r == 0, "%s: the right password refused (%s)",
		    good[i].hash, strerror(errno));
		r = pwscheme_check("correct horsf", good[i].hash);
		CHECK(r == -1 && errno == EACCES, "%s: a wrong password: %d "
		    "(%s)", good[i].hash, r, strerror(errno));
		r = pwscheme_check("", good[i].hash);
		CHECK(r == -1 && errno == EACCES, "%s: empty: %d",
		    good[i].hash, r);
		CHECK_STR(pwscheme_name(good[i].hash), good[i].name);
		r = pwscheme_allowed(good[i].hash, 0, &kind, why,
		    sizeof(why));
		CHECK(r == (good[i].weak ? -1 : 0), "%s: allowed without "
		    "weak-hashes: %d", good[i].hash, r);
		if (good[i].weak)
			CHECK(strstr(why, "weak") != NULL &&
			    strstr(why, good[i].name) != NULL &&
			    strstr(why, "weak-hashes yes") != NULL,
			    "%s: why: %s", good[i].hash, why);
		CHECK(pwscheme_allowed(good[i].hash, 1, &kind, why,
		    sizeof(why)) == 0, "%s: refused with weak-hashes: %s",
		    good[i].hash, why);
		pwscheme_kind(good[i].hash, k, sizeof(k));
		CHECK(k[0] != '\0' && k[0] != '?' &&
		    strlen(k) < strlen(good[i].hash), "%s: kind \"%s\"",
		    good[i].hash, k);
		/* Every truncation: refused, or a wrong password. */
		for (n = 0; n < strlen(good[i].hash); n++) {
			memcpy(buf, good[i].hash, n);
			buf[n] = '\0';
			if (pwscheme_parse(buf, &ph) == -1)
				continue;
			r = pwscheme_verify(good[i].pass, &ph);
			CHECK(r == -1, "%s cut at %zu: matches",
			    good[i].hash, n);
		}
	}
	/* DIGEST-MD5: the login's name and realm are part of it. */
	for (i = 0; i < sizeof(digestmd5) / sizeof(digestmd5[0]); i++) {
		CHECK(pwscheme_parse(digestmd5[i].hash, &ph) == 0 &&
		    (ph.flags & PWS_WEAK), "%s: not weak", digestmd5[i].hash);
		ph.user = digestmd5[i].user;
		CHECK(pwscheme_verify(PASS, &ph) == 0, "%s for %s: refused",
		    digestmd5[i].hash, digestmd5[i].user);
		CHECK(pwscheme_verify("correct horsf", &ph) == -1 &&
		    errno == EACCES, "%s: a wrong password", digestmd5[i].hash);
		ph.user = "mallory";
		CHECK(pwscheme_verify(PASS, &ph) == -1, "%s: another user",
		    digestmd5[i].hash);
		ph.user = NULL;
		CHECK(pwscheme_verify(PASS, &ph) == -1, "%s: no user",
		    digestmd5[i].hash);
		CHECK_STR(pwscheme_name(digestmd5[i].hash), "DIGEST-MD5");
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		CHECK(pwscheme_parse(plain[i].hash, &ph) == 0 &&
		    (ph.flags & PWS_PLAIN), "%s: not plaintext", plain[i].hash);
		r = pwscheme_allowed(plain[i].hash, 1, &kind, why,
		    sizeof(why));
		CHECK(r == -1, "%s: allowed", plain[i].hash);
		if (plain[i].reset)
			CHECK(strstr(why, "reset the user's password") != NULL,
			    "%s: why: %s", plain[i].hash, why);
		else
			CHECK(strstr(why, "popdpass -P") != NULL,
			    "%s: why: %s", plain[i].hash, why);
		/* Never the value in a message. */
		CHECK(strstr(why, "horse") == NULL &&
		    strstr(why, "0a146d") == NULL, "%s: why shows it: %s",
		    plain[i].hash, why);
		r = pwscheme_check("correct horse", plain[i].hash);
		CHECK(r == -1 && errno != EACCES, "%s: checked: %d",
		    plain[i].hash, r);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(pwscheme_parse(bad[i], &ph) == -1, "\"%s\": taken",
		    bad[i]);
		CHECK(pwscheme_allowed(bad[i], 1, NULL, why, sizeof(why)) ==
		    -1, "\"%s\": allowed", bad[i]);
		r = pwscheme_check(PASS, bad[i]);
		CHECK(r == -1 && errno != EACCES, "\"%s\": checked: %d",
		    bad[i], r);
	}
	for (i = 0; i < sizeof(unread) / sizeof(unread[0]); i++) {
		CHECK(pwscheme_allowed(unread[i], 1, &kind, why,
		    sizeof(why)) == -1, "\"%s\": allowed", unread[i]);
		n = strchr(unread[i], '}') - unread[i] + 1;
		CHECK(strncasecmp(strstr(why, "{") != NULL ? strstr(why, "{") :
		    "", unread[i], n) == 0, "\"%s\": kind not named: %s",
		    unread[i], why);
		CHECK(strstr(why, "reset the user's password (popdpass)") !=
		    NULL && strstr(why, "\"popdpass -P\" cannot convert") !=
		    NULL, "\"%s\": no advice: %s", unread[i], why);
		CHECK(strstr(why, unread[i] + n) == NULL, "\"%s\": why "
		    "shows it: %s", unread[i], why);
	}
	for (i = 0; i < sizeof(shaped) / sizeof(shaped[0]); i++) {
		CHECK(pwscheme_allowed(shaped[i][0], 1, &kind, why,
		    sizeof(why)) == -1, "\"%s\": allowed", shaped[i][0]);
		CHECK(strstr(why, shaped[i][1]) == NULL, "\"%s\": shown: %s",
		    shaped[i][0], why);
	}
	for (i = 0; i < sizeof(ceiling) / sizeof(ceiling[0]); i++) {
		CHECK(pwscheme_parse(ceiling[i].hash, &ph) == 0, "\"%s\": "
		    "not taken", ceiling[i].hash);
		CHECK(!(ph.flags & PWS_COSTLY) == !ceiling[i].costly,
		    "\"%s\": flags %d", ceiling[i].hash, ph.flags);
		CHECK(!(ph.flags & PWS_WEAK), "\"%s\": weak",
		    ceiling[i].hash);
		r = pwscheme_allowed(ceiling[i].hash, 1, NULL, why,
		    sizeof(why));
		CHECK(r == (ceiling[i].costly ? -1 : 0), "\"%s\": allowed: "
		    "%d (%s)", ceiling[i].hash, r, why);
		if (ceiling[i].costly) {
			CHECK(strstr(why, "ceiling") != NULL &&
			    strstr(why, "at most") != NULL, "\"%s\": why: %s",
			    ceiling[i].hash, why);
			/* tablepop's: passed on, for authpop to count. */
			CHECK(pwscheme_allowed(ceiling[i].hash, PWA_COSTLY,
			    NULL, why, sizeof(why)) == 0, "\"%s\": not "
			    "passed on: %s", ceiling[i].hash, why);
			/* Refused at once, never run. */
			r = pwscheme_verify(PASS, &ph);
			CHECK(r == -1 && errno == E2BIG, "\"%s\": checked: "
			    "%d", ceiling[i].hash, r);
		}
	}
	for (i = 0; i < sizeof(scramcost) / sizeof(scramcost[0]); i++) {
		CHECK(pwscheme_parse(scramcost[i].hash, &ph) == 0 &&
		    !(ph.flags & PWS_COSTLY) == !scramcost[i].costly,
		    "\"%s\": flags %d", scramcost[i].hash, ph.flags);
		r = pwscheme_allowed(scramcost[i].hash, 1, NULL, why,
		    sizeof(why));
		CHECK(r == (scramcost[i].costly ? -1 : 0) && (r == 0 ||
		    strstr(why, "rounds at most 2000000") != NULL),
		    "\"%s\": allowed: %d (%s)", scramcost[i].hash, r, why);
		if (scramcost[i].costly) {
			r = pwscheme_verify(PASS, &ph);
			CHECK(r == -1 && errno == E2BIG, "\"%s\": checked: "
			    "%d", scramcost[i].hash, r);
		}
	}
	/* Not UTF-8: no NTLM hash matches it. */
	CHECK(pwscheme_check("p\xe4ssw\xf6rd",
	    "{NTLM}0553152250ac01adb4213cb9938663e4") == -1 &&
	    errno == EACCES, "NTLM: Latin-1 taken");
	/* DES's 8 characters: as Dovecot's crypt(3), the rest is not read. */
	CHECK(pwscheme_check("horse", "{DES-CRYPT}y/9DsvZ2IM7Kg") == 0,
	    "DES: refused");
	pwscheme_kind("{DES-CRYPT}y/9DsvZ2IM7Kg", k, sizeof(k));
	CHECK_STR(k, "DES");
	pwscheme_kind("{SCRAM-SHA-256}4096,TY+xrMEzPUBsHZFdTOmAhQ==,UTF30j3lAcikhnGT16i7VKFALdeiaLx2/RHjYhdObXs=,YGOhcVbI3h0tu6pSuWB6GQ1mHw5iEnqNY0lMGTF6n6M=",
	    k, sizeof(k));
	CHECK_STR(k, "{SCRAM-SHA-256}4096");

	/* yescrypt's memory, for the budget it shares with argon2's. */
	CHECK(pwscheme_parse("$y$j9T$abcdefghijklmnop$x", &ph) == 0 &&
	    ph.kib == 16 * 1024, "yescrypt j9T: %u KiB", ph.kib);
	CHECK(pwscheme_parse("$y$jCT..$abcdefghijklmnop$x", &ph) == 0 &&
	    ph.kib == 128 * 1024, "yescrypt jCT p=2: %u KiB", ph.kib);
	/* Debian's yescrypt, checked. */
	r = pwscheme_check(PASS, "$y$j9T$abcdefghijklmnop$0Hi8KsZH/hAMRN9Bam6ce3nmi5QAIz3R/KeaXG/c7p9");
	CHECK(r == 0, "yescrypt: the right password refused: %d", r);
	r = pwscheme_check("correct horsf", "$y$j9T$abcdefghijklmnop$0Hi8KsZH/hAMRN9Bam6ce3nmi5QAIz3R/KeaXG/c7p9");
	CHECK(r == -1 && errno == EACCES, "yescrypt: a wrong password: %d",
	    r);
	/* PBKDF2 under Dovecot's default rounds: weak. */
	CHECK(pwscheme_parse("{PBKDF2}$1$a38mcM0P4P/LEh9P$4999$ba978979279e19828713958c010be927c628e6df",
	    &ph) == 0 && (ph.flags & PWS_WEAK), "PBKDF2 4999 rounds: not "
	    "weak");
	CHECK(pwscheme_allowed("{PBKDF2}$1$a38mcM0P4P/LEh9P$10$ba978979279e19828713958c010be927c628e6df",
	    0, NULL, why, sizeof(why)) == -1 && strstr(why, "weak") != NULL,
	    "PBKDF2 10 rounds: %s", why);

	/* One kind for hashes of one cost, whatever their salt. */
	pwscheme_kind("{SSHA512}SugW8aQ1RrAFypW+2Yf+E+3Lmg39jv9zPmRW4PoVFEQvyOH4CZaHDY3kRuZLpUL6yCAShDLiBhp/CEtdExWnZseEplY=",
	    k, sizeof(k));
	CHECK_STR(k, "{SSHA512}");
	pwscheme_kind("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$FnAOyTzKoRT7D+Vq7toqgw$J1AP9J1OaBlIEykthoQwT5lp3VQrrrOZZvw/liNrvcQ",
	    k, sizeof(k));
	CHECK_STR(k, "$argon2id$v=19$m=65536,t=3,p=1");
	pwscheme_kind("{PBKDF2}$1$a38mcM0P4P/LEh9P$5000$ba978979279e19828713958c010be927c628e6df",
	    k, sizeof(k));
	CHECK_STR(k, "{PBKDF2}5000");
	pwscheme_kind("{BLF-CRYPT}$2y$05$iGGbmpxKWxCwy4K085AAKe6/SHdvkvrCsx2y29vbPWQohjq4XbEDm",
	    k, sizeof(k));
	CHECK_STR(k, "$2y$05");
	pwscheme_kind("$6$rounds=9000$abc$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	    k, sizeof(k));
	CHECK_STR(k, "$6$rounds=9000");
	pwscheme_kind("$6$abc$4dLu/4NyZ2TbUVQdK5DCmSaPN3LWdHnXR2ZArW1KClhXvTFmpM/4jkWGuYthABlB4X.XmPDXlDO4MIytCuQRV1",
	    k, sizeof(k));
	CHECK_STR(k, "$6$");
	return unit_done();
}
