#pragma once
#include <napi.h>
namespace ociish {
Napi::Object Constants(Napi::Env env);
}
