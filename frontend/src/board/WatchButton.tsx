/** Watch a card: its changes and comments then reach your inbox. */

import { useEffect, useState } from "react";

import { errorMessage } from "../api/client";
import { watching as watchingApi } from "../api/resources";
import { toast } from "../app/toasts";

export function WatchButton({ cardId }: { cardId: number }) {
  const [watching, setWatching] = useState<boolean | null>(null);

  useEffect(() => {
    let current = true;
    watchingApi
      .card(cardId)
      .then((state) => current && setWatching(state.watching))
      .catch(() => current && setWatching(null));
    return () => {
      current = false;
    };
  }, [cardId]);

  const toggle = async () => {
    if (watching === null) return;
    try {
      setWatching((await watchingApi.setCard(cardId, !watching)).watching);
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };

  return (
    <button
      type="button"
      className="btn btn-ghost btn-sm watch-button"
      aria-pressed={watching === true}
      disabled={watching === null}
      onClick={() => void toggle()}
      title={watching ? "You get notified of changes and comments" : "Get notified of changes and comments"}
      data-testid="card-watch"
      data-watching={watching === true}
    >
      {watching ? "Watching" : "Watch"}
    </button>
  );
}
