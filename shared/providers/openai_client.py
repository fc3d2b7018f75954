"""The openai SDK clients for the "azure_openai" and "openai" providers, built the same way for the
prompt writer and the image generator.

Azure: `AzureOpenAI` with the app's managed identity (Entra token for Cognitive Services) unless
AZURE_OPENAI_API_KEY is set (local API stand-ins only). The SDK's own retries are off
(`max_retries=0`): shared/retry.py owns the policy. The SDK is imported here, when a client is made,
never at module load.
"""

from __future__ import annotations

from shared.core.config import Settings
from shared.core.credentials import openai_token_provider
from shared.core.errors import ServiceNotConfigured

NOT_CONFIGURED_AZURE = "Azure OpenAI 엔드포인트가 설정되지 않았습니다. 관리자에게 AZURE_OPENAI_ENDPOINT 설정을 요청해 주세요."
NOT_CONFIGURED_OPENAI = "OpenAI API 키가 설정되지 않았습니다. 관리자에게 OPENAI_API_KEY 설정을 요청해 주세요."


def make_client(settings: Settings, flavour: str):
    """An `AzureOpenAI` (flavour "azure_openai") or `OpenAI` (flavour "openai") client."""
    timeout = settings.provider_timeout_seconds
    if flavour == "azure_openai":
        if not settings.azure_openai_endpoint:
            raise ServiceNotConfigured(NOT_CONFIGURED_AZURE)
        from openai import AzureOpenAI

        auth = ({"api_key": settings.azure_openai_api_key} if settings.azure_openai_api_key
                else {"azure_ad_token_provider": openai_token_provider(settings)})
        return AzureOpenAI(
            azure_endpoint=settings.azure_openai_endpoint,
            api_version=settings.azure_openai_api_version,
            max_retries=0,
            timeout=timeout,
            **auth,
        )
    if flavour == "openai":
        if not settings.openai_api_key:
            raise ServiceNotConfigured(NOT_CONFIGURED_OPENAI)
        from openai import OpenAI

        return OpenAI(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url or None,
            max_retries=0,
            timeout=timeout,
        )
    raise ValueError(f"unknown provider flavour {flavour!r}")


def model_names(settings: Settings, flavour: str) -> tuple[str, str]:
    """(chat model, image model): Azure deployment names or OpenAI model names."""
    if flavour == "azure_openai":
        return settings.azure_openai_chat_deployment, settings.azure_openai_image_deployment
    return settings.openai_chat_model, settings.openai_image_model
