"""The optional LLM: an OpenAI-compatible chat endpoint reached through langchain-openai.

Off unless an API key is configured (wired from OPENAI_API_KEY); a base URL (OPENAI_BASE_URL)
points it at any OpenAI-compatible server (the tests use a local stub, so the real client runs).
"""

from __future__ import annotations

import openai
from dagster import ConfigurableResource
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import Field

from icp_assets.domain.crawl import DEFAULT_EVIDENCE_MAX_AGE_DAYS
from icp_assets.domain.llm import Completion, LlmCallError


class LlmResource(ConfigurableResource):
    api_key: str | None = Field(default=None, description="Without one the LLM stage is off.")
    base_url: str | None = Field(default=None, description="An OpenAI-compatible server; unset: the OpenAI API.")
    model: str = Field(default="gpt-4o-mini", description="Chat model name.")
    timeout_s: float = Field(default=60.0, description="Per-request timeout, seconds.")
    max_retries: int = Field(default=2, description="Retries of a failed request (5xx, 429, timeout) before giving up.")
    evidence_max_age_days: int = Field(
        default=DEFAULT_EVIDENCE_MAX_AGE_DAYS,
        description="Days an LLM answer is kept while new calls fail (ICP_EVIDENCE_MAX_AGE).",
    )

    def enabled(self) -> bool:
        return bool(self.api_key)

    def complete(self, system: str, user: str) -> Completion:
        """One JSON-mode chat completion; a request that still fails after ``max_retries`` retries
        raises LlmCallError naming the fault (http_500, http_429, timeout, connection_error)."""
        chat = ChatOpenAI(
            model=self.model,
            api_key=self.api_key,
            base_url=self.base_url,
            temperature=0,
            timeout=self.timeout_s,
            max_retries=self.max_retries,
            use_responses_api=False,
            model_kwargs={"response_format": {"type": "json_object"}},
        )
        try:
            message = chat.invoke([SystemMessage(system), HumanMessage(user)])
        except openai.APITimeoutError as err:  # a subclass of APIConnectionError: first
            raise LlmCallError("timeout", str(err)) from err
        except openai.APIConnectionError as err:
            raise LlmCallError("connection_error", str(err)) from err
        except openai.APIStatusError as err:  # what is left after max_retries (500, 429, ...)
            raise LlmCallError(f"http_{err.status_code}", str(err)) from err
        usage = message.usage_metadata or {}
        return Completion(
            text=str(message.content),
            prompt_tokens=usage.get("input_tokens", 0),
            completion_tokens=usage.get("output_tokens", 0),
        )
