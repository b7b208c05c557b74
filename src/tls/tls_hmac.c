#include "tls_hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

bool tls_hmac_md5(const void *key, size_t key_len, const void *msg, size_t msg_len,
                  unsigned char out[TLS_HMAC_MD5_LEN])
{
	unsigned int len = 0;
	if (key_len > 0x7fffffff)
		return false;
	unsigned char *r = HMAC(EVP_md5(), key, (int)key_len, msg, msg_len, out, &len);
	return r != NULL && len == TLS_HMAC_MD5_LEN;
}
