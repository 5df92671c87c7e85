"""The optional LLM: an OpenAI-compatible chat endpoint reached through langchain-openai.

Off unless an API key is configured (OPENAI_API_KEY); OPENAI_BASE_URL points it at any
OpenAI-compatible server (the tests use a local stub, so the real client code path runs).
"""

from __future__ import annotations

import os

from dagster import ConfigurableResource
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import Field

from icp_assets.llm import Completion


class LlmResource(ConfigurableResource):
    api_key: str | None = Field(default=None, description="Default: OPENAI_API_KEY. Without one the LLM stage is off.")
    base_url: str | None = Field(default=None, description="Default: OPENAI_BASE_URL, else the OpenAI API.")
    model: str = Field(default="gpt-4o-mini", description="Chat model name.")
    timeout_s: float = Field(default=60.0, description="Per-request timeout, seconds.")

    def resolved_key(self) -> str | None:
        return self.api_key or os.environ.get("OPENAI_API_KEY") or None

    def enabled(self) -> bool:
        return self.resolved_key() is not None

    def complete(self, system: str, user: str) -> Completion:
        """One JSON-mode chat completion."""
        chat = ChatOpenAI(
            model=self.model,
            api_key=self.resolved_key(),
            base_url=self.base_url or os.environ.get("OPENAI_BASE_URL") or None,
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
