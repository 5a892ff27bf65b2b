DROP INDEX open_containers_open;
