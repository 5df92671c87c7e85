"""The optional LLM: an OpenAI-compatible chat endpoint reached through langchain-openai.

Off unless an API key is configured (wired from OPENAI_API_KEY); a base URL (OPENAI_BASE_URL)
points it at any OpenAI-compatible server (the tests use a local stub, so the real client runs).
"""

from __future__ import annotations

from dagster import ConfigurableResource
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import Field

from icp_assets.domain.llm import Completion


class LlmResource(ConfigurableResource):
    api_key: str | None = Field(default=None, description="Without one the LLM stage is off.")
    base_url: str | None = Field(default=None, description="An OpenAI-compatible server; unset: the OpenAI API.")
    model: str = Field(default="gpt-4o-mini", description="Chat model name.")
    timeout_s: float = Field(default=60.0, description="Per-request timeout, seconds.")

    def enabled(self) -> bool:
        return bool(self.api_key)

    def complete(self, system: str, user: str) -> Completion:
        """One JSON-mode chat completion."""
        chat = ChatOpenAI(
            model=self.model,
            api_key=self.api_key,
            base_url=self.base_url,
            temperature=0,
            timeout=self.timeout_s,
            max_retries=2,
            use_responses_api=False,
            model_kwargs={"response_format": {"type": "json_object"}},
        )
        message = chat.invoke([SystemMessage(system), HumanMessage(user)])
        usage = message.usage_metadata or {}
        return Completion(
            text=str(message.content),
            prompt_tokens=usage.get("input_tokens", 0),
            completion_tokens=usage.get("output_tokens", 0),
        )
